#!/bin/sh
# Pin BUILT_SERVICES at $CI_COMMIT_SHA in the platform repository's dev overlay and push the commit.
set -eu
if [ -z "${BUILT_SERVICES:-}" ]; then
    echo "no image was built: nothing to bump"
    exit 0
fi
command -v git >/dev/null || { apt-get update -qq && apt-get install -y -qq git >/dev/null; }
git config --global user.name "${GITOPS_COMMIT_NAME:-gitops-bot}"
git config --global user.email "${GITOPS_COMMIT_EMAIL:-gitops-bot@gitlab.local}"
# The token reaches git through its credential helper (an environment variable), never a URL or a log line.
git config --global credential.helper '!f() { echo username=gitops-bot; echo "password=${GITOPS_TOKEN:-}"; }; f'
rm -rf gitops && git clone --quiet --depth 50 "$GITOPS_REPOSITORY_URL" gitops
cd gitops
command -v invoke >/dev/null || python -m pip install --quiet .
sets=""
for service in $BUILT_SERVICES; do
    sets="$sets --set $service=$CI_COMMIT_SHA"
done
invoke bump-image --overlay "$GITOPS_OVERLAY" --registry "$CI_REGISTRY_IMAGE" $sets --push
