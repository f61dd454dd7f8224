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
