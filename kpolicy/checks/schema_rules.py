"""Schema validation against the bundled Kubernetes OpenAPI (see ``kpolicy/schema.py``)."""

from __future__ import annotations

from collections.abc import Iterator

from kpolicy.checks import RuleContext, check
from kpolicy.kustomize import is_directive_key
from kpolicy.model import KObject, Problem
from kpolicy.patterns import PATTERN_TIMEOUT
from kpolicy.schema import RULE_REQUIRED_MISSING, RULE_UNKNOWN_FIELD, SCHEMA_RULES


def is_patch(obj: KObject, ctx: RuleContext) -> bool:
    """A kustomize patch is a fragment applied onto another object, never on its own (named
    as one by a kustomization, or holding a strategic-merge directive: ``KObject.patch``)."""
    return ctx.index.is_kustomize_patch(obj)


# policy-pattern-timeout: a CRD's pattern that timed out on a custom resource's value (the
# declarative checks of policies report it too, see kpolicy.policy and Engine._plan)
@check(*SCHEMA_RULES, PATTERN_TIMEOUT)
def schema(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    validator = ctx.services.get("schema")
    if validator is None:
        return
    # A missing spec.selector lands on `spec:` like selector-missing's finding, and the
    # pipeline keeps only the specific rule's finding there (lint.drop_generic_duplicates).
    for problem in validator.validate(obj.data):
        if obj.patch:
            # a kustomize patch says only what it changes (the rest is the resource's), and
            # its strategic-merge directives are kustomize's, not fields of the kind
            if problem.rule == RULE_REQUIRED_MISSING:
                continue
            if problem.rule == RULE_UNKNOWN_FIELD and problem.path and is_directive_key(
                problem.path[-1]
            ):
                continue
        yield Problem(problem.path, problem.message, anchor=problem.at, rule=problem.rule)


@check("schema-unknown-kind")
def unknown_kind(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    validator = ctx.services.get("schema")
    if validator is None or obj.kind.endswith("List"):
        return
    if not validator.has_schema(obj.data.get("apiVersion"), obj.kind):
        yield Problem(
            ("kind",),
            f"no schema for {obj.data.get('apiVersion')} {obj.kind}: it is not validated "
            "(give its CustomResourceDefinition as input or --context, or --schema-dir)",
        )
