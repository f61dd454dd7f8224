"""In the shape of GitLab CI setups of GitOps repositories (kostis-codefresh's promotion pipelines, GitLab's own
templates): a CI component with GitLab's `spec: inputs` header, a job that merges two anchors, includes by
wildcard; a missing include and a rule GitLab refuses are reported where they are written."""

from __future__ import annotations

from tests.corpus.shapes import Case, line_of

ROOT_CI = """\
include:
  - local: ci/*.yml
  - local: ci/lint/missing.yml
stages: [build, test, deploy]
"""
COMPONENT = """\
spec:
  inputs:
    stage:
      default: build
---
build:
  stage: $[[ inputs.stage ]]
  image: registry.example.org/tools/builder:1.4.0
  script: [make build]
"""
MERGED = """\
.defaults: &defaults
  image: registry.example.org/tools/tester:1.4.0
.runners: &runners
  tags: [docker]
test:
  <<: *defaults
  <<: *runners
  stage: test
  script: [make test]
"""
DEPLOY = """\
deploy:
  stage: deploy
  image: registry.example.org/tools/deployer:1.4.0
  script: [make deploy]
  when: sometimes
"""

CASES = {
    "GitLab's header documents, merges and wildcard includes read as GitLab reads them": Case(
        files={
            ".gitlab-ci.yml": ROOT_CI,
            "ci/build.yml": COMPONENT,
            "ci/test.yml": MERGED,
            "ci/deploy.yml": DEPLOY,
        },
        reported={
            ("CI-GITLAB-INCLUDE", ".gitlab-ci.yml", line_of(ROOT_CI, "missing.yml")),
            ("CI-GITLAB-SCHEMA", "ci/deploy.yml", line_of(DEPLOY, "when: sometimes")),
            ("COVERAGE-NOTHING-RENDERED", ".", 1),  # CI files only: no manifests to render here
        },
    ),
}

CASES["a CI file with a header document and merged anchors passes as GitLab reads it"] = Case(
    files={
        ".gitlab-ci.yml": COMPONENT.replace(
            "build:\n", MERGED.split("test:\n")[0] + "build:\n  <<: *defaults\n  <<: *runners\n"
        )
    },
    reported={("COVERAGE-NOTHING-RENDERED", ".", 1)},
)
