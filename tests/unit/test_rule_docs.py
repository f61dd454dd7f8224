"""Every rule the gate can report is documented once in docs/rules.md, with its severity."""

from __future__ import annotations

import re

from gitops_toolkit.core.rule_catalog import RULES
from tests.conftest import REPOSITORY


def test_every_rule_has_exactly_one_entry_with_its_severity() -> None:
    text = (REPOSITORY / "docs" / "rules.md").read_text(encoding="utf-8")
    documented = re.findall(r"^## ([A-Z0-9-]+)\n- \*\*Severity:\*\* (\w+)$", text, flags=re.MULTILINE)
    assert sorted(documented) == sorted((rule, str(severity)) for rule, severity in RULES.items())
