"""Every verb as a newcomer meets it: `invoke VERB --help` prints its usage and exits 0, `-h` is never another
option, and a wrong value is one line naming the option (exit 2) before any work starts, never a traceback."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REPOSITORY, invoke

pytestmark = pytest.mark.integration


def _verbs() -> list[str]:
    listing = json.loads(invoke(REPOSITORY, "--list", "--list-format=json").stdout)
    names = [task["name"] for task in listing["tasks"]]
    names += [f"{group['name']}.{task['name']}" for group in listing["collections"] for task in group["tasks"]]
    return sorted(names)


VERBS = _verbs()


def test_every_verb_is_listed() -> None:
    assert {"validate", "bootstrap", "bump-image", "diff", "loadtest", "drill", "slack.seal", "site"} <= set(VERBS)


@pytest.mark.parametrize("verb", VERBS)
def test_help_prints_the_usage_and_exits_0(verb: str) -> None:
    completed = invoke(REPOSITORY, verb, "--help", timeout=60)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.startswith("Usage:") and f" {verb} " in completed.stdout.splitlines()[0]
    assert not re.search(r"^\s+-h[ ,]", completed.stdout, re.MULTILINE), "-h stands for another option"


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("validate", "--jobs", "two"), "--jobs must be a whole number"),
        (("loadtest", "--url", "http://127.0.0.1:9", "--users", "ten"), "--users must be a whole number"),
        (("loadtest", "--url", "http://127.0.0.1:9", "--spawn-rate", "0"), "--spawn-rate must be at least"),
        (("drill", "selfheal", "--timeout", "soon"), "--timeout must be a number"),
        (("bootstrap",), "give --inventory"),
        (("bump-image", "--set", "frontend=v1.2.3"), "give --overlay"),
        (("diff",), "give --base"),
        (("slack.seal", "--cert", "cert.pem"), "give --webhook-url"),
    ],
)
def test_a_wrong_or_missing_option_is_one_line_and_exit_2(arguments: tuple[str, ...], said: str) -> None:
    completed = invoke(REPOSITORY, *arguments, timeout=60)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr and said in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1, completed.stderr


def test_a_fractional_drill_timeout_is_taken() -> None:
    completed = invoke(REPOSITORY, "drill", "selfheal", "--timeout", "1.5", "--kubeconfig", "/nonexistent", timeout=60)
    assert "Traceback" not in completed.stderr and "--timeout" not in completed.stderr, completed.stderr
    assert "no kubeconfig at /nonexistent" in completed.stderr and completed.returncode == 2


def _flags_in_help(verb: str) -> set[str]:
    """The long flags `invoke VERB --help` lists, as a user reads them."""
    completed = invoke(REPOSITORY, verb, "--help", timeout=60)
    options = completed.stdout.split("Options:", 1)[1]
    return set(re.findall(r"^\s+(?:-\w(?: \w+)?, )?(--[a-z][a-z0-9-]*)", options, re.MULTILINE))


FLAGS = {verb: _flags_in_help(verb) for verb in VERBS}
DOCUMENTS = sorted([REPOSITORY / "README.md", *(REPOSITORY / "docs").rglob("*.md")])
# `invoke VERB ...` up to the end of its code span or line (a shell line continued with `\` runs on).
_COMMAND = re.compile(r"invoke ([a-z][a-z.-]*)((?:[^`\n]|\\\n)*)")


def _documented_uses() -> list[tuple[str, str, str]]:
    """(document, verb, flag) for every flag written after `invoke VERB` in code, anywhere in the docs."""
    uses = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for command in _COMMAND.finditer(text):
            for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", command.group(2)):
                uses.append((str(document.relative_to(REPOSITORY)), command.group(1), flag))
    return uses


def _reference_sections() -> dict[str, set[str]]:
    """docs/verbs.md: each verb's section and the flags it lists."""
    text = (REPOSITORY / "docs" / "verbs.md").read_text(encoding="utf-8")
    sections = re.split(r"^## `invoke ([a-z.-]+)`$", text, flags=re.MULTILINE)[1:]
    return {
        verb: set(re.findall(r"^- `(--[a-z][a-z0-9-]*)", body, re.MULTILINE))
        | set(re.findall(r"^- `--[a-z-]+ [A-Z]+`, `(--[a-z][a-z0-9-]*)", body, re.MULTILINE))
        for verb, body in zip(sections[::2], sections[1::2], strict=True)
    }


def test_every_documented_flag_exists() -> None:
    uses = _documented_uses()
    assert len({verb for _, verb, _ in uses}) >= 8, "the pattern no longer finds the commands in the docs"
    wrong = [f"{document}: invoke {verb} {flag}" for document, verb, flag in uses if flag not in FLAGS.get(verb, ())]
    assert not wrong, "documented, but not in the verb's --help:\n" + "\n".join(wrong)


def test_the_reference_lists_every_verb_with_exactly_its_flags() -> None:
    reference = _reference_sections()
    assert sorted(reference) == VERBS
    differences = {
        verb: (sorted(reference[verb] - FLAGS[verb]), sorted(FLAGS[verb] - reference[verb]))
        for verb in VERBS
        if reference[verb] != FLAGS[verb]
    }
    assert not differences, "docs/verbs.md (listed but absent, absent but listed in --help): " + str(differences)
