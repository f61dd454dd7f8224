"""The YAML loader every stage relies on: each guard has a failing and a passing case."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gitops_toolkit.core.bounded_yaml import DEFAULT_LIMITS, YamlLimits, YamlRejected, load_yaml_file, load_yaml_text


def billion_laughs(levels: int = 9) -> str:
    text = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in range(1, levels):
        text += f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]\n"
    return text


def rejection(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> YamlRejected:
    with pytest.raises(YamlRejected) as caught:
        load_yaml_text(text, limits)
    return caught.value


def test_billion_laughs_is_rejected_quickly_with_its_line() -> None:
    started = time.perf_counter()
    rejected = rejection(billion_laughs())
    assert rejected.rule == "GUARD-YAML-ALIASES"
    assert rejected.line == 6  # a5 is the first value whose expansion crosses 100,000 nodes
    assert time.perf_counter() - started < 1


def test_aliases_that_only_double_at_each_level_are_rejected_by_what_they_expand_to() -> None:
    text = "l0: &l0 [x, y]\n" + "".join(f"l{n}: &l{n} [*l{n - 1}, *l{n - 1}]\n" for n in range(1, 40))
    rejected = rejection(text)  # 78 aliases: well under the count limit
    assert rejected.rule == "GUARD-YAML-ALIASES"
    assert "expand" in rejected.message
    assert rejected.line == 16  # l15: about 2^17 nodes, the first level over the bound


def test_a_recursive_alias_is_rejected() -> None:
    rejected = rejection("a: &loop\n  - *loop\n")
    assert (rejected.rule, rejected.line) == ("GUARD-YAML-ALIASES", 1)
    assert "contains it" in rejected.message


def test_deep_nesting_is_rejected_without_recursion() -> None:
    for flow in (True, False):
        text = (
            "a: " + "[" * 300 + "]" * 300 + "\n"
            if flow
            else "".join("  " * i + "k:\n" for i in range(300)) + "  " * 300 + "v\n"
        )
        rejected = rejection(text)
        assert rejected.rule == "GUARD-YAML-DEPTH"


def test_nesting_as_deep_as_real_crds_is_accepted() -> None:
    assert load_yaml_text("a: " + "[" * 60 + "]" * 60 + "\n")


def test_a_redefined_anchor_names_its_latest_definition() -> None:
    data = load_yaml_text("a: &x 1\nb: *x\nc: &x 2\nd: *x\n")[0].data
    assert data == {"a": 1, "b": 1, "c": 2, "d": 2}


def test_application_tags_are_read_as_plain_values() -> None:
    text = "script: !reference [.setup, script]\nid: !Ref Bucket\nmap: !vault {path: a}\n"
    assert load_yaml_text(text)[0].data == {"script": [".setup", "script"], "id": "Bucket", "map": {"path": "a"}}


def test_a_few_aliases_are_accepted() -> None:
    documents = load_yaml_text("defaults: &defaults {cpu: 100m}\nweb: *defaults\napi: *defaults\n")
    assert documents[0].data["api"] == {"cpu": "100m"}


def test_duplicate_key_is_rejected_at_the_second_key() -> None:
    rejected = rejection("metadata:\n  name: a\n  labels: {}\n  name: b\n")
    assert (rejected.rule, rejected.line) == ("GUARD-YAML-DUPLICATE-KEY", 4)
    assert "`name`" in rejected.message


def test_same_key_in_different_mappings_is_fine() -> None:
    assert len(load_yaml_text("a: {name: x}\nb: {name: y}\n---\nname: z\n")) == 2


def test_merge_keys_are_not_duplicates() -> None:
    data = load_yaml_text("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")[0].data
    assert data["other"] == {"x": 1, "y": 2}


def test_invalid_yaml_names_the_line() -> None:
    rejected = rejection("a: 1\nb: [1, 2\nc: 3\n")
    assert rejected.rule == "GUARD-YAML-SYNTAX"
    assert rejected.line == 3


def test_non_utf8_file_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nname: caf\xe9\n")
    with pytest.raises(YamlRejected) as caught:
        load_yaml_file(path)
    assert (caught.value.rule, caught.value.line) == ("GUARD-NOT-UTF8", 2)


def test_utf8_file_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "utf8.yaml"
    path.write_text("name: café\n", encoding="utf-8")
    assert load_yaml_file(path)[0].data == {"name": "café"}


def test_oversized_file_is_rejected_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(YamlRejected) as caught:
        load_yaml_file(path, YamlLimits(max_bytes=1000))
    assert caught.value.rule == "GUARD-FILE-TOO-LARGE"
    assert load_yaml_file(path, YamlLimits(max_bytes=4000))


def test_dates_and_the_value_key_stay_strings() -> None:
    data = load_yaml_text("from: 2024-04-01\nkey: =\n")[0].data
    assert data == {"from": "2024-04-01", "key": "="}


def test_empty_documents_are_skipped_and_lines_are_kept() -> None:
    documents = load_yaml_text("---\n# only a comment\n---\nkind: A\nspec:\n  x: 1\n")
    assert len(documents) == 1
    assert documents[0].line == 4
    assert documents[0].line_of(["spec", "x"]) == 6
    assert documents[0].line_of(["spec", "missing", "deeper"]) == 5
