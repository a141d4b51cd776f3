"""rules/index.marshal (and its JSON form, rules/index.json): the built-in rules' metadata read
at start-up instead of the YAML files."""

from __future__ import annotations

import json
import marshal
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from kpolicy.resources import data_dir
from kpolicy.ruledefs import (
    INDEX_NAME,
    JSON_INDEX_NAME,
    _from_index,
    builtin_rules,
    load_rule_dir,
    rule_index,
)
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from gen_rule_index import index_text, marshal_current, shared


def test_the_index_is_up_to_date() -> None:
    """After editing rules/*.yaml, `make docs` (or python tools/gen_rule_index.py)."""
    folder = data_dir("rules")
    assert (folder / JSON_INDEX_NAME).read_text(encoding="utf-8") == index_text(folder)
    # the form kpolicy reads: the same mapping (as JSON gives it back)
    indexed = marshal.loads((folder / INDEX_NAME).read_bytes())
    assert indexed == json.loads(index_text(folder)) == rule_index(folder)
    # and of the same types and order (== takes True for 1, and any order of keys)
    assert marshal_current(folder / INDEX_NAME, json.loads(index_text(folder)))


def test_the_marshal_form_is_current_only_with_the_same_types_and_order(tmp_path: Path) -> None:
    """tools/gen_rule_index.py rewrites (and --check fails on) a marshal form that differs
    from the index in a value's type (True, 1 and 1.0 are equal) or in the order of keys."""
    index = {"version": 1, "files": {"a.yaml": {"rule": {"x": 1, "y": True}}}}
    packed = tmp_path / INDEX_NAME
    packed.write_bytes(marshal.dumps(index))
    assert marshal_current(packed, index)
    for other in (
        {"version": 1, "files": {"a.yaml": {"rule": {"x": True, "y": True}}}},
        {"version": 1, "files": {"a.yaml": {"rule": {"x": 1.0, "y": True}}}},
        {"version": 1, "files": {"a.yaml": {"rule": {"x": 1, "y": 1}}}},
        {"version": 1, "files": {"a.yaml": {"rule": {"y": True, "x": 1}}}},
    ):
        assert other == index
        packed.write_bytes(marshal.dumps(other))
        assert not marshal_current(packed, index)
    packed.write_bytes(b"{not marshal")
    assert not marshal_current(packed, index)
    packed.unlink()
    assert not marshal_current(packed, index)


def test_the_index_gives_the_rules_the_files_give() -> None:
    folder = data_dir("rules")
    parsed = load_rule_dir(folder, validate=False)
    indexed = _from_index(folder)
    assert indexed is not None
    assert list(indexed) == list(parsed)
    for rule_id, rule in parsed.items():
        assert indexed[rule_id] == rule, rule_id
    assert dict(builtin_rules()) == indexed


def test_the_index_holds_each_rules_fields() -> None:
    """Each entry is the rule's fields in RuleDef's order (``rule_fields``), so that a start
    makes only what JSON has no form for (the severity, frozensets, tuples, examples); the
    marshal form writes each recurring string once (the defaults every rule repeats are one
    object when read), as ``shared`` makes them."""
    from kpolicy.load import load_own_file
    from kpolicy.records import fields
    from kpolicy.ruledefs import RuleDef, rule_fields

    folder = data_dir("rules")
    names = [f.name for f in fields(RuleDef)]
    index = marshal.loads((folder / INDEX_NAME).read_bytes())
    entries = list(index["files"].items())
    for name, entry in entries:
        assert list(entry["rule"]) == names, name
        data = load_own_file(folder / name, "rule file")[0].value
        assert entry["rule"] == rule_fields(data), name
    first, second = entries[0][1]["rule"], entries[1][1]["rule"]
    assert first["origin"] == second["origin"] == ""
    assert first["origin"] is second["origin"]
    assert first["fix"] is second["fix"]
    text = {"a": ["x" * 30, "y"], "b": {"c": "x" * 30}}
    made = shared(json.loads(json.dumps(text)))
    assert made == text and made["a"][0] is made["b"]["c"]
    assert len(marshal.dumps(made)) < len(marshal.dumps(json.loads(json.dumps(text))))


def test_a_stale_index_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), folder)
    assert _from_index(folder) is not None
    edited = folder / "selector-mismatch.yaml"
    edited.write_text(edited.read_text().replace("title: ", "title: Edited ", 1))
    assert _from_index(folder) is None
    shutil.copyfile(data_dir("rules") / "selector-mismatch.yaml", edited)
    assert _from_index(folder) is not None
    (folder / "new-rule.yaml").write_text("id: new-rule\n")  # a file the index does not list
    assert _from_index(folder) is None
    (folder / "new-rule.yaml").unlink()
    index = marshal.loads((folder / INDEX_NAME).read_bytes())
    (folder / INDEX_NAME).write_bytes(marshal.dumps({**index, "version": 0}))
    assert _from_index(folder) is None
    for broken in (b"{not marshal", b"", marshal.dumps(index)[:-9], marshal.dumps([index])):
        (folder / INDEX_NAME).write_bytes(broken)
        assert _from_index(folder) is None
    (folder / INDEX_NAME).write_bytes(marshal.dumps(index))
    assert _from_index(folder) is not None
    (folder / INDEX_NAME).unlink()
    assert _from_index(folder) is None


def test_an_index_of_other_fields_than_the_rules_is_not_used(tmp_path: Path) -> None:
    """The entries are rule_fields' answers when the index was written: an index written
    before a field was added to RuleDef (or after one was taken out) would give the built-in
    rules that field's class default, silently (a rule that reads pod templates would skip
    them); such an index is not used, the files are parsed."""
    folder = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), folder)
    index = marshal.loads((folder / INDEX_NAME).read_bytes())
    assert _from_index(folder) is not None
    reading = [e["rule"]["id"] for e in index["files"].values() if e["rule"]["pod_templates"]]
    assert reading
    for change in (
        lambda rule: {k: v for k, v in rule.items() if k != "pod_templates"},
        lambda rule: {**rule, "added": None},
        lambda rule: {("templates" if k == "pod_templates" else k): v for k, v in rule.items()},
    ):
        files = {n: {**e, "rule": change(e["rule"])} for n, e in index["files"].items()}
        (folder / INDEX_NAME).write_bytes(marshal.dumps({**index, "files": files}))
        assert _from_index(folder) is None
    (folder / INDEX_NAME).write_bytes(marshal.dumps(index))
    rules = _from_index(folder)
    assert rules is not None and all(rules[r].pod_templates for r in reading)


def test_only_a_file_modified_since_the_index_is_read(tmp_path: Path) -> None:
    """A rule file of the length its entry gives and older than the index is taken as the one
    the index was written from (not read at every start); a newer one must have its CRC."""
    import os

    folder = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), folder)
    written = (folder / INDEX_NAME).stat().st_mtime_ns
    for path in folder.glob("*.yaml"):
        os.utime(path, ns=(written - 10**9, written - 10**9))
    assert _from_index(folder) is not None
    edited = folder / "selector-mismatch.yaml"
    text = edited.read_text()
    same_length = text.replace("title: The", "title: Tha", 1)
    assert same_length != text and len(same_length) == len(text)
    edited.write_text(same_length)
    os.utime(edited, ns=(written + 10**9, written + 10**9))
    assert _from_index(folder) is None  # newer: its CRC differs
    os.utime(edited, ns=(written - 10**9, written - 10**9))
    assert _from_index(folder) is not None  # older, same length: trusted, not read
    edited.write_text(same_length + "\n")
    os.utime(edited, ns=(written - 10**9, written - 10**9))
    assert _from_index(folder) is None  # another length


def test_check_touch_makes_only_a_current_index_the_newer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make`'s install step (gen_rule_index.py --check --touch): a clone's rule files are
    newer than the index, each then read for its CRC at every start; an index that --check
    finds current is made the newer (then no file is read), a stale one is left as it is."""
    import os

    import gen_rule_index

    from kpolicy import ruledefs

    folder = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), folder)
    written = (folder / INDEX_NAME).stat().st_mtime_ns
    later = written + 10**9
    for path in folder.glob("*.yaml"):
        os.utime(path, ns=(later, later))
    monkeypatch.setattr(gen_rule_index, "ROOT", tmp_path)
    monkeypatch.setattr(sys, "argv", ["gen_rule_index.py", "--check", "--touch"])
    gen_rule_index.main()
    touched = (folder / INDEX_NAME).stat().st_mtime_ns
    assert touched > later
    read: list[bytes] = []

    def fingerprint(raw: bytes) -> list[int]:
        read.append(raw)
        return [0, 0]

    monkeypatch.setattr(ruledefs, "_fingerprint", fingerprint)
    assert _from_index(folder) is not None and read == []
    # a stale index: --check fails and leaves it older than the edited file
    edited = folder / "selector-mismatch.yaml"
    edited.write_text(edited.read_text().replace("title: ", "title: Edited ", 1))
    os.utime(folder / INDEX_NAME, ns=(written, written))
    os.utime(edited, ns=(later, later))
    with pytest.raises(SystemExit, match="stale"):
        gen_rule_index.main()
    assert (folder / INDEX_NAME).stat().st_mtime_ns == written


def test_a_file_that_grew_after_its_length_was_read_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule file read for its CRC is read one byte past the length its entry gives: a file
    that grew after its length was taken (its first bytes those the index was written from)
    is noticed, not taken for the indexed one."""
    import os

    folder = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), folder)
    written = (folder / INDEX_NAME).stat().st_mtime_ns
    edited = folder / "selector-mismatch.yaml"
    length = edited.stat().st_size
    edited.write_text(edited.read_text() + "# grew\n")
    os.utime(edited, ns=(written + 10**9, written + 10**9))  # newer: read for its CRC
    real_stat = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        """The length the file had when the index was written (as if it grew just after)."""
        result = real_stat(path, *args, **kwargs)
        if os.fspath(path) != str(edited):
            return result
        values = list(result[:10])
        values[6] = length  # st_size
        return os.stat_result(values, {"st_mtime_ns": result.st_mtime_ns})

    monkeypatch.setattr(os, "stat", stat)  # the module ruledefs reads it from
    assert os.stat(edited).st_size == length  # the length the entry gives
    assert _from_index(folder) is None
    monkeypatch.undo()
    edited.write_text(edited.read_text()[: -len("# grew\n")])
    os.utime(edited, ns=(written + 10**9, written + 10**9))
    assert _from_index(folder) is not None  # the same bytes again: taken


@pytest.mark.parametrize("severity", ["warning", "Error", "INFO"])
def test_a_rule_from_data_is_the_rule_its_init_makes(severity: str) -> None:
    """rule_from_data fills a RuleDef's fields without its __init__: the same record, its
    fields in the same order, for every built-in rule and a policy of any severity's case."""
    from kpolicy.model import Severity
    from kpolicy.records import fields
    from kpolicy.ruledefs import RuleDef, rule_from_data

    policy = {
        "id": "p",
        "title": "T",
        "severity": severity,
        "rationale": " r ",
        "remediation": "x.",
    }
    made = [rule_from_data(policy, "p.yaml"), *builtin_rules().values()]
    assert made[0].severity is Severity(severity.lower())
    assert (made[0].rationale, made[0].message, made[0].kinds) == ("r", "T", frozenset({"*"}))
    names = [f.name for f in fields(RuleDef)]
    for rule in made:
        init = RuleDef(**{name: getattr(rule, name) for name in names})
        assert rule == init, rule.id
        # (a cached property, `builtin`, may follow them)
        assert list(vars(rule).items())[: len(names)] == list(vars(init).items()), rule.id
        assert type(rule) is RuleDef
        assert rule.builtin is init.builtin


def test_an_example_from_data_is_the_example_its_init_makes() -> None:
    """The examples of the index are made through Example's open twin: records of the class
    itself, frozen, equal to what Example(...) makes, for every built-in rule."""
    import dataclasses

    from kpolicy.records import fields
    from kpolicy.ruledefs import Example, rule_from_data

    data = {"bad": "a: 1\n", "nodes": "n", "kubernetesVersion": "1.33", "description": "d"}
    policy = {"id": "p", "title": "T", "severity": "warning", "rationale": "r", "remediation": "x."}
    made = rule_from_data({**policy, "examples": [data, {"good": "b: 2\n"}]}, "p.yaml").examples
    assert made == (Example("a: 1\n", None, "n", "1.33", "d"), Example(None, "b: 2\n"))
    names = [f.name for f in fields(Example)]
    examples = [e for rule in builtin_rules().values() for e in rule.examples]
    assert len(examples) >= len(builtin_rules())
    for example in [*made, *examples]:
        assert type(example) is Example
        assert example == Example(**{name: getattr(example, name) for name in names})
        assert hash(example) == hash(Example(**{name: getattr(example, name) for name in names}))
        with pytest.raises(dataclasses.FrozenInstanceError):
            example.bad = "changed"  # type: ignore[misc]
