"""Rule metadata: ``rules/<id>.yaml`` files, validated by ``schemas/rule.schema.json``."""

from __future__ import annotations

import marshal
import os
from collections.abc import Mapping
from functools import cache, cached_property

from kpolicy.errors import InternalError, UsageError
from kpolicy.hints import cast
from kpolicy.model import Severity, to_pointer
from kpolicy.positions import PositionTable
from kpolicy.records import field, fields, open_twin, record
from kpolicy.resources import data_dir, data_folder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # made where a rule file is parsed: the index needs none
    from typing import Any

DOCS_URL = "https://github.com/kpolicy/kpolicy/blob/main/docs/rules.md"
POLICIES_DOCS_URL = "https://github.com/kpolicy/kpolicy/blob/main/docs/policies.md"


@record(frozen=True, slots=True)
class Example:
    bad: str | None
    good: str | None
    nodes: str | None = None  # Node objects the example is linted with (--nodes)
    kubernetes_version: str | None = None
    description: str | None = None


@record(frozen=True)
class RuleDef:
    id: str
    title: str
    severity: Severity
    kinds: frozenset[str]  # {"*"} for every kind
    rationale: str
    remediation: str
    message: str
    references: tuple[str, ...] = ()
    enabled: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)
    examples: tuple[Example, ...] = ()
    fix: str = "none"  # safe, unsafe or none: the fix the rule attaches to its findings
    # a declarative rule's fix: fields of the target set to values, and its title
    fix_set: Mapping[str, Any] | None = None
    fix_title: str = ""
    implementation: str = "python"  # python | loader | pipeline | schema | policy
    check: Mapping[str, Any] | None = None
    target: str = "object"
    match: Mapping[str, Any] | None = None
    origin: str = ""
    init_containers: bool = False  # target container: also initContainers
    ephemeral_containers: bool = False  # target container: also ephemeralContainers
    help_url: str | None = None  # a policy's own documentation (helpUri in SARIF)
    # its findings say the API server refuses the object (a built-in rule's fact about
    # Kubernetes; a policy cannot claim it): `kpolicy plan` plans no rollout for such an object
    rejects: bool = False
    # built-in rules only: "schema" for the rules of the bundled OpenAPI schemas, whose
    # findings say generically what a specific rule says better (lint.post.drop_generic_duplicates)
    family: str | None = None
    # also runs on the kinds of kpolicy.k8s.podtemplates (Rollout, DeploymentConfig, ...)
    pod_templates: bool = False

    def applies_to(self, kind: str, pod_template: bool = False) -> bool:
        """Whether the rule runs on ``kind``; ``pod_template``: a custom pod-template kind."""
        return "*" in self.kinds or kind in self.kinds or (pod_template and self.pod_templates)

    @cached_property
    def builtin(self) -> bool:
        """Shipped with kpolicy (``rules/``), as opposed to a user's policy file."""
        if not self.origin:
            return False
        rules = data_folder("rules")
        # a rule of builtin_rules() names its folder as data_folder does: one lstat, where
        # resolving its path was one for every folder above it, for each rule at every start
        if os.path.dirname(self.origin) == rules and not os.path.islink(self.origin):
            return True
        return os.path.dirname(os.path.realpath(self.origin)) == os.path.realpath(rules)

    @property
    def help_uri(self) -> str:
        """The rule's documentation: its anchor in docs/rules.md; for a policy, its own
        ``helpUri`` or else the page on writing policies."""
        if self.help_url:
            return self.help_url
        if self.builtin or not self.origin:
            return f"{DOCS_URL}#{self.id}"
        return POLICIES_DOCS_URL


@cache
def _rule_validator() -> Any:
    import json

    import jsonschema

    schema = json.loads((data_dir("schemas") / "rule.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def parse_rule_file(path: Path, validate: bool = True) -> RuleDef:
    """Read and validate one rule or policy file; a bad file is a ``UsageError`` with its line."""
    from kpolicy.load import load_own_file

    documents = load_own_file(path, "rule file")
    if len(documents) != 1 or not isinstance(documents[0].value, dict):
        raise UsageError(f"{path}:1: a rule file must hold one mapping")
    data: dict[str, Any] = documents[0].value
    errors = (
        sorted(_rule_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
        if validate
        else []
    )
    if errors:
        err = errors[0]
        parts = [str(p) for p in err.absolute_path]
        message = err.message
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = err.schema.get("properties", {})
            extra = [k for k in err.instance if k not in allowed]
            if extra:
                parts.append(str(extra[0]))
                message = f"unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})"
        span = documents[0].positions.resolve(to_pointer(tuple(parts)), "key")[0]
        where = "/".join(parts) or "(top level)"
        raise UsageError(f"{path}:{span.line}: invalid rule file at {where}: {message}")
    check = data.get("check")
    if check is not None and validate:
        _check_schema(path, check, documents[0].positions)
    return rule_from_data(data, path)


_SEVERITIES = {severity.value: severity for severity in Severity}
_NEW = object.__new__


def rule_from_data(data: Mapping[str, Any], path: Path | str) -> RuleDef:
    """The rule a (valid) rule file's mapping defines; ``path``: its file."""
    return _rule_from_fields(rule_fields(data), str(path))


def rule_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of the rule a (valid) rule file's mapping defines, in RuleDef's order, as
    the values of the mapping (JSON's): what the index holds for each built-in rule
    (:func:`rule_index`), so that a start only makes the values JSON has no form for
    (:func:`_rule_from_fields`), where working them out of each mapping was a third of
    reading the built-in rules. ``origin`` is the file's place, set where it is read."""
    check = data.get("check")
    containers = data.get("containers", {})
    return {
        "id": data["id"],
        "title": data["title"],
        "severity": data["severity"],  # the enum's value, any case: Severity.parse
        "kinds": data.get("kinds", ["*"]),  # a frozenset
        "rationale": data["rationale"].strip(),
        "remediation": data["remediation"].strip(),
        "message": data.get("message", data["title"]),
        "references": data.get("references", []),  # a tuple
        "enabled": data.get("enabled", True),
        "params": data.get("params", {}),
        "examples": data.get("examples", []),  # a tuple of Example
        "fix": str(data.get("fix", "none")),
        "fix_set": data.get("fixSet"),
        "fix_title": str(data.get("fixTitle", "")),
        "implementation": data.get("implementation", "python" if check is None else "schema"),
        "check": check,
        "target": data.get("target", "object"),
        "match": data.get("match"),
        "origin": "",
        "init_containers": containers.get("init", False),
        "ephemeral_containers": containers.get("ephemeral", False),
        "help_url": data.get("helpUri"),
        "rejects": bool(data.get("rejects", False)),
        "family": data.get("family"),
        "pod_templates": bool(
            data["podTemplates"] if "podTemplates" in data else _reads_pod_templates(data)
        ),
    }


def _rule_from_fields(fields: Mapping[str, Any], origin: str) -> RuleDef:
    """RuleDef(**fields) for :func:`rule_fields`'s ``fields`` of the file at ``origin``:
    without its __init__ (each field set through object.__setattr__, half of building the
    ninety-odd rules of every start), the fields in its order, as its __init__ sets them
    (tests/test_rule_index.py holds the two equal)."""
    rule = _NEW(RuleDef)
    values = rule.__dict__
    values.update(fields)
    severity = fields["severity"]
    values["severity"] = _SEVERITIES.get(severity) or Severity.parse(severity)
    values["kinds"] = frozenset(fields["kinds"])
    values["references"] = tuple(fields["references"])
    values["examples"] = tuple(map(_example, fields["examples"]))
    values["origin"] = origin
    return rule


_EXAMPLE_TWIN: list[Any] = []


def _example(data: Mapping[str, Any]) -> Example:
    """``Example(...)`` of a rule file's example: made through the record's open twin
    (:func:`kpolicy.records.open_twin`), a third of the cost of its ``__init__`` for the
    hundred examples of every start."""
    if not _EXAMPLE_TWIN:
        _EXAMPLE_TWIN.append(open_twin(Example))
    twin = _EXAMPLE_TWIN[0]
    if twin is None:  # pragma: no cover - Example has one (tests/test_rule_index.py)
        return Example(
            bad=data.get("bad"),
            good=data.get("good"),
            nodes=data.get("nodes"),
            kubernetes_version=data.get("kubernetesVersion"),
            description=data.get("description"),
        )
    example = _NEW(twin)
    example.bad = data.get("bad")
    example.good = data.get("good")
    example.nodes = data.get("nodes")
    example.kubernetes_version = data.get("kubernetesVersion")
    example.description = data.get("description")
    example.__class__ = Example
    return cast(Example, example)


def _reads_pod_templates(data: Mapping[str, Any]) -> bool:
    """The default of ``podTemplates``: a podSpec or container target on Pods or Deployments
    reads what every pod template holds."""
    kinds = set(data.get("kinds", ["*"]))
    return data.get("target") in ("podSpec", "container") and bool(
        kinds & {"*", "Pod", "Deployment"}
    )


def _check_schema(path: Path, check: Mapping[str, Any], positions: PositionTable) -> None:
    """A policy's ``check`` must itself be a valid JSON Schema (bad regexes included)."""
    import jsonschema
    from jsonschema.validators import validator_for

    from kpolicy.patterns import (
        PatternError,
        bounded_validator,
        compile_pattern,
        has_unbounded_patterns,
    )

    if has_unbounded_patterns(check):
        raise UsageError(
            f"{path}:1: unsupported JSON Schema: patternProperties with unevaluatedProperties "
            "(kpolicy cannot bound those patterns); use additionalProperties instead"
        )
    cls = bounded_validator(validator_for(check, default=jsonschema.Draft202012Validator))
    errors = sorted(
        cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER).iter_errors(check),
        key=lambda e: (-len(e.absolute_path), [str(p) for p in e.absolute_path]),
    )
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        parts = ["check", *(str(p) for p in err.absolute_path)]
        span = positions.resolve(to_pointer(tuple(parts)))[0]
        message = err.message
        if err.validator == "format" and err.validator_value == "regex":
            try:
                compile_pattern(str(err.instance))
            except PatternError as exc:
                message = str(exc)
        raise UsageError(f"{path}:{span.line}: invalid JSON Schema at {'/'.join(parts)}: {message}")


def load_rule_dir(folder: str | Path, validate: bool = True) -> dict[str, RuleDef]:
    """The ``*.yaml`` rule files at the top of ``folder`` (a link to a file outside it is not
    read; the run cache hashes the same list, :func:`kpolicy.fsutil.tree_files`)."""
    from pathlib import Path

    from kpolicy.fsutil import tree_files

    rules: dict[str, RuleDef] = {}
    for name in tree_files(str(folder), (".yaml",), recursive=False):
        path = Path(name)
        rule = parse_rule_file(path, validate)
        if rule.id != path.stem:
            raise UsageError(f"{path}:1: rule id {rule.id!r} differs from the file name")
        rules[rule.id] = rule
    return rules


# the built-in rules' fields, worked out once: `make docs` (tools/gen_rule_index.py) writes it,
# tests/test_rule_index.py fails when it is stale. kpolicy reads its marshal form (INDEX_NAME):
# decoding the JSON (JSON_INDEX_NAME, the form to read and review) was 6M instructions of every
# start, unmarshalling the same mapping a twentieth of that (as schemas/compiled/ is read)
INDEX_NAME = "index.marshal"
JSON_INDEX_NAME = "index.json"
INDEX_VERSION = 2  # 2: each rule as its fields (rule_fields), not its file's mapping


def _fingerprint(raw: bytes) -> list[int]:
    import zlib

    return [len(raw), zlib.crc32(raw)]


def rule_index(folder: Path) -> dict[str, Any]:
    """The index of the rule files of ``folder``: the fields of each file's rule
    (:func:`rule_fields`) and the length and CRC-32 of its bytes (so that a file edited since
    the index was written is noticed)."""
    from pathlib import Path

    from kpolicy.fsutil import tree_files
    from kpolicy.load import load_own_file

    files: dict[str, Any] = {}
    for name in tree_files(str(folder), (".yaml",), recursive=False):
        path = Path(name)
        documents = load_own_file(path, "rule file")
        data = documents[0].value if len(documents) == 1 else None
        files[path.name] = {
            "fingerprint": _fingerprint(path.read_bytes()),
            "rule": rule_fields(data) if isinstance(data, dict) else None,
        }
    return {"version": INDEX_VERSION, "files": files}


def _read_bytes(path: str, length: int) -> bytes:
    """The first ``length + 1`` bytes of ``path`` (the index knows the file's length: one byte
    more tells a file that grew), in one read, without a buffered file object: half the cost
    of ``open().read()`` on the ninety small files a start may check."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, length + 1)
    finally:
        os.close(fd)


def _read_all(path: str) -> bytes:
    """The bytes of ``path``."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _from_index(folder: str | Path) -> dict[str, RuleDef] | None:
    """The rules of ``folder`` from its index; None when there is none, or when the files
    differ from those it was written from (then they are parsed)."""
    from kpolicy.fsutil import tree_files

    try:
        index_path = os.path.join(folder, INDEX_NAME)
        written = os.stat(index_path).st_mtime_ns
        # kpolicy's own data (never a repository's), as schemas/compiled/ is; values only
        index = marshal.loads(_read_all(index_path))  # noqa: S302
        if not isinstance(index, dict) or index.get("version") != INDEX_VERSION:
            return None
        files = index["files"]
        # each entry is what rule_fields gave when the index was written: fields other than
        # RuleDef's (one added since) would leave every built-in rule its class default for
        # it, silently, where a policy gets its value; then the files are parsed (one look,
        # as one rule_fields wrote every entry)
        first = next(iter(files.values()), None)
        if first is not None and list(first["rule"]) != [f.name for f in fields(RuleDef)]:
            return None
        names = list(tree_files(str(folder), (".yaml",), recursive=False))
        basenames = [os.path.basename(name) for name in names]
        if basenames != list(files):
            return None
        rules: dict[str, RuleDef] = {}
        for path, basename in zip(names, basenames, strict=True):
            entry = files[basename]
            data = entry["rule"]
            if not isinstance(data, dict):
                return None
            # a file of the same length, not modified since the index was written, is the
            # one it was written from; any other is read, and must have its CRC (reading the
            # ninety files at every start cost a millisecond)
            length, _ = entry["fingerprint"]
            stat = os.stat(path)
            if stat.st_size != length:
                return None
            if stat.st_mtime_ns >= written and entry["fingerprint"] != _fingerprint(
                _read_bytes(path, length)
            ):
                return None
            rule = _rule_from_fields(data, path)
            if rule.id != basename[: -len(".yaml")]:
                return None
            rules[rule.id] = rule
        return rules
    except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError):
        return None


@cache
def builtin_rules() -> Mapping[str, RuleDef]:
    # the built-in files are validated by the test suite (tests/test_meta.py), not at every
    # start; their index spares parsing some ninety YAML files at every start
    folder = data_folder("rules")  # a string: a run that parses no rule file makes no Path
    rules = _from_index(folder) or load_rule_dir(folder, validate=False)
    if not rules:
        # an installation without its data (a copied package, a wheel built wrong) would
        # otherwise check nothing and report a clean run
        raise InternalError(
            f"kpolicy's built-in rules are missing from {folder}: "
            "the installation is incomplete (reinstall kpolicy)"
        )
    return rules
