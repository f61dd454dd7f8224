"""A chart release rendered (twice when a template or a value calls a random or time function, to see output
that changes between renders), with its values checked against the chart's schema; and what the chart declares.
Both are pure functions of the archive (pinned by sha256) and the inputs, so they are cached by content under
$XDG_CACHE_HOME/gitops-toolkit: unchanged charts cost only a file read on the next run."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import hashlib
import io
import json
import re
import tarfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml
from gitops_toolkit.core.cache_directory import read_json, write_json
from gitops_toolkit.core.versions import installed_version
from gitops_toolkit.render.crds.crd_text import crd_stub, served_api_versions
from gitops_toolkit.render.read.manifest_text import split_documents
from gitops_toolkit.tools.helm import RenderRequest, chart_facts, render, schema_violation
from gitops_toolkit.tools.helm_engine import ChartFacts, HelmError

_CACHE_FORMAT = 7
_MAX_CACHE_ENTRIES = 64
_MAX_CHANGED_LINES = 3


@dataclass(frozen=True)
class RenderOutcome:
    # (template, its objects, or why they are not YAML) of the first render, parsed once: JSON reloads quicker
    rendered: list[tuple[str, list[Any] | str]] = field(default_factory=list)
    differences: list[tuple[str, list[str]]] = field(default_factory=list)  # template, lines the second changed
    schema_violation: str | None = None
    error: str | None = None


# Template functions whose result changes from one render to the next (Sprig's random, time and key
# generators). `lookup` is not among them: offline, as under Argo CD, it is always empty.
_VARYING = re.compile(
    r"\b(?:rand(?:AlphaNum|Alpha|Numeric|Ascii|Bytes|Int)|uuidv4|now|date|dateInZone|htpasswd|bcrypt|shuffle"
    r"|encryptAES|gen(?:CA|CAWithKey|PrivateKey|SelfSignedCert|SelfSignedCertWithKey|SignedCert|SignedCertWithKey))\b"
)
_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_VALUES_READ = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
# A map written out whole (`toYaml .Values.x`, `.Values.x | toYaml`, `with .Values.x` then `toYaml .`): whatever
# keys it holds reach the manifest, where the schema checks them. Three patterns, each led by a literal the regex
# engine finds quickly (as one alternation, it tried every position of megabytes of templates).
_WHOLE_READS = (
    re.compile(r"toYaml\s+\(?\$?\.Values((?:\.\w+)+)\s*[|)}]"),
    re.compile(r"\.Values((?:\.\w+)+)\s*\|\s*toYaml"),
    re.compile(r"with\s+\$?\.Values((?:\.\w+)+)\s*-?\}\}(?:(?!\{\{-?\s*end).){0,200}?toYaml\s+\.\s*[|}]", re.DOTALL),
)
_MAX_NESTED_ARCHIVES = 64


# What every name _VARYING matches contains: most templates hold none of them, which settles them quickly.
_VARYING_PARTS = ("rand", "uuidv4", "now", "date", "htpasswd", "bcrypt", "shuffle", "encryptAES", "gen")


def calls_varying_function(text: str) -> bool:
    if not any(part in text for part in _VARYING_PARTS):
        return False
    return any(_VARYING.search(action) for action in _ACTION.findall(text))


@dataclass
class _TemplateScan:
    may_vary: bool = False
    reads: set[tuple[str, ...]] = field(default_factory=set)  # values paths templates read, as keys
    whole: set[str] = field(default_factory=set)  # dotted values paths templates write out whole
    # The chart's own templates (path in the chart) that render only for API versions the cluster serves.
    gated: set[str] = field(default_factory=set)
    budget: int = _MAX_NESTED_ARCHIVES


def subchart_keys(parts: list[str]) -> list[str]:
    """The values keys of the (nested) subchart a folder of a chart archive belongs to:
    ["CHART", "charts", "SUB", "charts", "DEEP", "templates"] -> ["SUB", "DEEP"]; [] for the chart's own."""
    keys = []
    while len(parts) >= 3 and parts[1] == "charts":
        keys.append(parts[2])
        parts = parts[2:]
    return keys


def _scan_archive(data: bytes, scan: _TemplateScan, outer: tuple[str, ...] = (), archived: bool = False) -> None:
    """Whether any template of the chart (or of a subchart, unpacked or archived inside it) calls a varying
    function, which values paths the templates read, and which of its own templates ask for an API version.
    `outer`: the values keys of the chart this archive is a subchart of; `archived`: the archive's own chart is a
    subchart, keyed by its directory name."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as bundle:
        for member in bundle:
            extracted = bundle.extractfile(member) if member.isfile() else None
            if extracted is None:
                continue
            parts = member.name.split("/")
            own = [*outer, parts[0]] if archived else list(outer)
            if member.name.endswith(".tgz") and scan.budget > 0:
                scan.budget -= 1
                _scan_archive(extracted.read(), scan, (*own, *subchart_keys(parts[:-1])), archived=True)
                continue
            if "templates" not in parts:
                continue
            prefix = (*own, *subchart_keys(parts[: parts.index("templates")]))
            text = extracted.read().decode("utf-8", "replace")
            scan.may_vary = scan.may_vary or calls_varying_function(text)
            if not archived and not outer and parts[1] == "templates" and ".Capabilities.APIVersions.Has" in text:
                scan.gated.add("/".join(parts[1:]))
            scan.reads.update((*prefix, *path[1:].split(".")) for path in set(_VALUES_READ.findall(text)))
            for pattern in _WHOLE_READS if "toYaml" in text else ():  # each pattern needs a toYaml
                scan.whole.update(".".join((*prefix, *match[1][1:].split("."))) for match in pattern.finditer(text))


def facts_of(archive: Path, sha256: str) -> ChartFacts:
    cached = read_json("chart-facts", f"{sha256}-v{_CACHE_FORMAT}")
    if isinstance(cached, dict):
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return _facts_from(cached)
    facts = chart_facts(archive)
    scan = _TemplateScan()
    try:
        _scan_archive(archive.read_bytes(), scan)
    except (OSError, tarfile.TarError, EOFError, zlib.error):
        scan.may_vary = True  # cannot tell: render twice
    # The CRD texts are only needed for what they serve (megabytes, for some charts): keep that.
    served = sorted({version for text in facts.crd_texts for version in served_api_versions(text)})
    facts = dataclasses.replace(
        facts,
        may_vary=scan.may_vary,
        crd_texts=(),
        api_versions=tuple(served),
        template_reads=frozenset(".".join(keys[:end]) for keys in scan.reads for end in range(1, len(keys) + 1)),
        whole_reads=frozenset(scan.whole),
        capability_gated=frozenset(f"{facts.name}/{path}" for path in scan.gated),  # as Helm names the output
    )
    write_json(
        "chart-facts",
        f"{sha256}-v{_CACHE_FORMAT}",
        {
            "name": facts.name,
            "version": facts.version,
            "defaults": facts.defaults,
            "schema": facts.schema,
            "api_versions": list(facts.api_versions),
            "capability_gated": sorted(facts.capability_gated),
            "may_vary": facts.may_vary,
            "template_reads": sorted(facts.template_reads),
            "whole_reads": sorted(facts.whole_reads),
        },
    )
    return facts


def _facts_from(cached: dict[str, Any]) -> ChartFacts:
    return ChartFacts(
        str(cached["name"]),
        str(cached["version"]),
        dict(cached["defaults"]),
        cached["schema"],
        api_versions=tuple(cached["api_versions"]),
        capability_gated=frozenset(cached["capability_gated"]),
        may_vary=bool(cached["may_vary"]),
        template_reads=frozenset(cached["template_reads"]),
        whole_reads=frozenset(cached["whole_reads"]),
    )


def _changed_lines(first: str, second: str) -> list[str]:
    return [
        line[1:].strip()
        for line in difflib.unified_diff(first.splitlines(), second.splitlines(), n=0)
        if line.startswith("-") and not line.startswith("---")
    ][:_MAX_CHANGED_LINES]


def _render(request: RenderRequest, helm_binary: Path | None, check_schema: bool, twice: bool) -> RenderOutcome:
    """Render (twice when the templates or the values call a varying function, and compare)."""
    try:
        violation = schema_violation(request.archive, request.values) if check_schema else None
        if violation:
            return RenderOutcome(schema_violation=violation)  # Helm renders nothing for values its schema refuses
        if twice:  # the second render in a thread of its own: Helm's engine runs outside the GIL
            with ThreadPoolExecutor(max_workers=1) as second:
                rendering_again = second.submit(render, request, helm_binary)
                first = render(request, helm_binary)
                again = dict(rendering_again.result())
        else:
            first = render(request, helm_binary)
            again = dict(first)
    except HelmError as error:
        return RenderOutcome(error=str(error))
    differences = [
        (template, _changed_lines(text, again.get(template, "")))
        for template, text in first
        if again.get(template) != text
    ]
    return RenderOutcome([(template, _objects(text)) for template, text in first], differences)


CRD_TEXT = "$crd-text"  # an object that is a CRD document's text (see Resource.crd_text)


def _objects(text: str) -> list[Any] | str:
    """The objects of a template's output; CRDs (megabytes of YAML in some charts) kept as their text."""
    objects: list[Any] = []
    others: list[str] = []
    for document in split_documents(text):
        if crd_stub(document) is not None:
            objects.append({CRD_TEXT: document})
        else:
            others.append(document)
    try:
        return objects + load_trusted_yaml("\n---\n".join(others))
    except yaml.YAMLError as error:
        return " ".join(str(error).split())[:300]


def outcome_of(request: RenderRequest, sha256: str, helm_binary: Path | None, facts: ChartFacts) -> RenderOutcome:
    inputs = {
        "archive": sha256,
        "values": request.values,
        "release": request.release,
        "namespace": request.namespace,
        "kube_version": request.kube_version,
        "api_versions": list(request.api_versions),
        "include_crds": request.include_crds,
        "engine": str(helm_binary) if helm_binary else f"helm-python-sdk {installed_version('helm-python-sdk')}",
        "schema": facts.schema is not None,
    }
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    cached = read_json("chart-renders", f"{key}-v{_CACHE_FORMAT}")
    if isinstance(cached, dict):
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return RenderOutcome(
                [(str(name), objects) for name, objects in cached["rendered"]],
                [(str(template), [str(line) for line in lines]) for template, lines in cached["differences"]],
                cached["schema_violation"],
                cached["error"],
            )
    # Values reach templates through `tpl` too: a varying function written in them varies as well.
    twice = facts.may_vary or calls_varying_function(json.dumps(request.values))
    outcome = _render(request, helm_binary, facts.schema is not None, twice)
    if helm_binary is None:  # a binary can change under the same path: never cache what it renders
        # vars, not asdict: the rendered objects need no deep copy to be written
        write_json("chart-renders", f"{key}-v{_CACHE_FORMAT}", vars(outcome), keep=_MAX_CACHE_ENTRIES)
    return outcome
