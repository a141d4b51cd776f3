"""Argo Rollouts ``Rollout`` (argoproj.io): canary steps, the Services it switches traffic
with and the Deployment it may take its template from.

The Rollout's own validation is done by its controller, not the API server: a Rollout that
fails it is accepted, gets an ``InvalidSpec`` condition and is never rolled out. The checks
follow ``ValidateRolloutSpec`` and ``ValidateRolloutStrategyBlueGreen`` /
``ValidateRolloutStrategyCanary`` (argoproj/argo-rollouts pkg/apis/rollouts/validation).
"""

from __future__ import annotations

from collections.abc import Iterator

from kpolicy.checks import Reads, RuleContext, check
from kpolicy.k8s.podtemplates import ROLLOUT
from kpolicy.k8s.selector import Selector, labels_str
from kpolicy.model import KObject, Path, Problem, Related
from kpolicy.workload import custom_layout, describe_value, get, mapping, sequence, template_labels

REFUSED = "the Argo Rollouts controller refuses the Rollout (InvalidSpec) and never rolls it out"


def _is_rollout(obj: KObject) -> bool:
    return custom_layout(obj) is ROLLOUT


# ValidateRolloutStrategyCanary: each step sets exactly one action; setWeight within 0..100
# (InvalidSetWeightMessage) and a pause duration that is not negative (InvalidDurationMessage)
_STEP_ACTIONS = (
    "setWeight",
    "pause",
    "experiment",
    "analysis",
    "setCanaryScale",
    "setHeaderRoute",
    "setMirrorRoute",
    "plugin",
)


@check("rollout-step-invalid")
def step_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not _is_rollout(obj):
        return
    steps_path: Path = ("spec", "strategy", "canary", "steps")
    for index, step in enumerate(sequence(get(obj.data, *steps_path))):
        path = (*steps_path, index)
        if not isinstance(step, dict):
            continue  # a wrong type is the schema's finding
        if not any(step.get(action) is not None for action in _STEP_ACTIONS):
            yield Problem(
                path,
                f"canary step {index + 1} sets none of {', '.join(_STEP_ACTIONS[:3])}, ...; "
                f"{REFUSED}",
            )
            continue
        weight = step.get("setWeight")
        if weight is None:
            continue
        if isinstance(weight, bool) or not isinstance(weight, int):
            yield Problem(
                (*path, "setWeight"),
                f"setWeight is {describe_value(weight, 40)}, not a whole percentage; {REFUSED}",
            )
        elif not 0 <= weight <= 100:
            yield Problem(
                (*path, "setWeight"),
                f"setWeight {weight} is outside 0..100; {REFUSED}",
            )


# ValidateRolloutStrategyBlueGreen (DuplicatedServicesBlueGreenMessage) and
# ValidateRolloutStrategyCanary (DuplicatedServicesCanaryMessage)
@check("rollout-services-identical")
def services_identical(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not _is_rollout(obj):
        return
    for strategy, first, second in (
        ("blueGreen", "activeService", "previewService"),
        ("canary", "stableService", "canaryService"),
    ):
        spec = mapping(get(obj.data, "spec", "strategy", strategy))
        a, b = spec.get(first), spec.get(second)
        if isinstance(a, str) and a and a == b:
            yield Problem(
                ("spec", "strategy", strategy, second),
                f"{second} {b!r} is also the {first}: the two must be different Services; "
                f"{REFUSED}",
                related=(Related(obj, ("spec", "strategy", strategy, first), f"the {first}"),),
            )


# The controller switches the Services' selectors to the Pods of one ReplicaSet (it adds
# rollouts-pod-template-hash); it neither creates them nor checks that they select the
# Rollout's Pods, so a Service that is missing or selects other Pods sends no traffic to them.
@check("rollout-service-not-found", reads=Reads.INDEX, kinds=("Service",))
def service_not_found(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not _is_rollout(obj):
        return
    labels: dict[str, str] | None = None
    for strategy, field in (
        ("blueGreen", "activeService"),
        ("blueGreen", "previewService"),
        ("canary", "stableService"),
        ("canary", "canaryService"),
    ):
        name = get(obj.data, "spec", "strategy", strategy, field)
        if not isinstance(name, str) or not name:
            continue
        path = ("spec", "strategy", strategy, field)
        found = ctx.index.nearest(obj, ctx.index.all_named("Service", obj.namespace, name))
        if not found and not ctx.index.of_kind("Service", obj.namespace):
            continue  # the run holds no Service of the namespace: they live elsewhere
        if not found:
            yield Problem(
                path,
                f"no Service {name!r} in namespace {obj.namespace!r} among the linted files and "
                f"--context: the Rollout's {field} must exist, or the rollout stalls",
            )
            continue
        service = found[0]
        if get(obj.data, "spec", "workloadRef") is not None:
            continue  # the template is the referenced Deployment's: not judged here
        selector = Selector.from_map(get(service.data, "spec", "selector"))
        if selector is None or selector.is_empty:
            continue
        if labels is None:
            labels = template_labels(obj)
        if not selector.matches(labels):
            yield Problem(
                path,
                f"Service {name!r} selects {selector}, which the Rollout's Pods (labels "
                f"{labels_str(labels) or 'none'}) do not carry: its {field} traffic reaches none "
                "of them",
                related=(Related(service, ("spec", "selector"), f"Service {name}'s selector"),),
            )


# RolloutSpec.WorkloadRef: the controller reads the pod template from the referenced workload
# (a Deployment) in the Rollout's namespace; without it the Rollout has no template
@check("rollout-workload-ref-not-found", reads=Reads.INDEX)
def workload_ref_not_found(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not _is_rollout(obj):
        return
    ref = get(obj.data, "spec", "workloadRef")
    if not isinstance(ref, dict):
        return
    kind, name = ref.get("kind"), ref.get("name")
    if not isinstance(kind, str) or not isinstance(name, str) or not name:
        return
    if ctx.index.nearest(obj, ctx.index.all_named(kind, obj.namespace, name)):
        return
    if not ctx.index.of_kind(kind, obj.namespace):
        return  # the run holds no workload of that kind there: they live elsewhere
    yield Problem(
        ("spec", "workloadRef", "name"),
        f"no {kind} {name!r} in namespace {obj.namespace!r} among the linted files and "
        "--context: the Rollout takes its pod template from it and creates no Pod without it",
    )
