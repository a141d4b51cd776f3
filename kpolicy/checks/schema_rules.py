"""Schema validation against the bundled Kubernetes OpenAPI (see ``kpolicy/schema.py``)."""

from __future__ import annotations

from collections.abc import Iterator

from kpolicy.checks import RuleContext, check
from kpolicy.model import KObject, Problem
from kpolicy.patterns import PATTERN_TIMEOUT
from kpolicy.schema import RULE_REQUIRED_MISSING, SCHEMA_RULES


def _has_patch_directive(data: object) -> bool:
    """Whether a strategic-merge directive (``$patch``, ``$setElementOrder/...``) occurs."""
    stack = [data]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            if any(isinstance(k, str) and k.startswith("$") for k in node):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def is_patch(obj: KObject, ctx: RuleContext) -> bool:
    """A kustomize patch is a fragment applied onto another object, never on its own."""
    return ctx.index.is_kustomize_patch(obj) or _has_patch_directive(obj.data)


# policy-pattern-timeout: a CRD's pattern that timed out on a custom resource's value (the
# declarative checks of policies report it too, see kpolicy.policy and Engine._plan)
@check(*SCHEMA_RULES, PATTERN_TIMEOUT)
def schema(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    validator = ctx.services.get("schema")
    if validator is None:
        return
    patch: bool | None = None
    # A missing spec.selector lands on `spec:` like selector-missing's finding, and the
    # pipeline keeps only the specific rule's finding there (lint.drop_generic_duplicates).
    for problem in validator.validate(obj.data):
        if problem.rule == RULE_REQUIRED_MISSING:
            if patch is None:
                patch = is_patch(obj, ctx)
            if patch:
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
