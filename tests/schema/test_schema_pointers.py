"""The schema check's pointers of problems found with their records
(``checks.schema_rules._POINTERS``): kept by path, and each the pointer ``to_pointer`` writes,
escaped keys included, made afresh or kept."""

from __future__ import annotations

from kpolicy.checks import RuleContext, schema_rules
from kpolicy.checks.schema_rules import schema_diagnostics
from kpolicy.index import Index
from kpolicy.load import load_text
from kpolicy.model import Diagnostic, KObject, Severity, SourceFile, to_pointer
from kpolicy.schema import SCHEMA_RULES, SchemaValidator

TEXT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {"a/b": 1, "c~d": 2, e: 3}
  labelz: {app: web}
spec:
  replicas: "2"
  template:
    spec:
      restartPolicy: Sometimes
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: http
"""


def _diagnostics(obj: KObject) -> list[Diagnostic]:
    ctx = RuleContext(index=Index([obj]), schemas=SchemaValidator.for_version("1.37"))
    found: list[Diagnostic] = []
    reports = dict.fromkeys(SCHEMA_RULES, Severity.ERROR)
    schema_diagnostics(obj, ctx, reports, frozenset(), found)
    return found


def test_pointers_kept_are_those_written_afresh() -> None:
    schema_rules._POINTERS.clear()
    first = _diagnostics(load_text(SourceFile("a.yaml", TEXT)).objects[0])
    kept = dict(schema_rules._POINTERS)
    # the same paths in another object (new tuples): the pointers kept
    again = _diagnostics(load_text(SourceFile("b.yaml", TEXT)).objects[0])
    assert [d.path for d in first] == [d.path for d in again]
    pointers = [d.path for d in first]
    assert "/metadata/labels/a~1b" in pointers
    assert "/metadata/labels/c~0d" in pointers
    assert "/spec/template/spec/containers/0/ports/0/containerPort" in pointers
    assert len(kept) >= 6  # the problems found with their records went through it
    for path, pointer in kept.items():
        assert pointer == to_pointer(path)
    assert set(kept.values()) <= set(pointers)
    assert {"/metadata/labels/a~1b", "/metadata/labels/c~0d"} <= set(kept.values())


def test_pointers_kept_stay_within_their_bound() -> None:
    """The language server keeps one process across edits: the kept pointers are emptied
    when full, and a pointer made after that is still ``to_pointer``'s."""
    schema_rules._POINTERS.clear()
    for count in range(schema_rules._POINTERS_KEPT + 1):
        schema_rules._keep_pointer(("filler", count))
        assert len(schema_rules._POINTERS) <= schema_rules._POINTERS_KEPT
    assert len(schema_rules._POINTERS) == 1
    path = ("metadata", "labels", "a/b~c")
    assert schema_rules._keep_pointer(path) == to_pointer(path) == "/metadata/labels/a~1b~0c"
    assert schema_rules._POINTERS[path] == "/metadata/labels/a~1b~0c"
    schema_rules._POINTERS.clear()
