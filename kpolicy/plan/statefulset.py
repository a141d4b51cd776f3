"""The StatefulSet controller: creation, scaling and update order of the ordinals, partition,
maxUnavailable, and the Pods' stable DNS names (pkg/controller/statefulset)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kpolicy.k8s import intstr
from kpolicy.k8s.defaults import apps_v1_defaults
from kpolicy.plan._fields import (
    _Fields,
    _is_zero,
    _name,
    _namespace,
    _object_ref,
    _template_labels,
)
from kpolicy.plan._steps import _pods, _run, _shown_names, _StepLog
from kpolicy.plan.changes import (
    _rejected_note,
    _rejection_fields,
    change_of,
)
from kpolicy.plan.context import (
    DEFAULT_CONTEXT,
    PlanContext,
    _gate_note,
    _parse_version,
    feature_gate_enabled,
)
from kpolicy.plan.data import (
    _DNS_LABEL_MAX,
    DEFAULT_KUBERNETES_VERSION,
    MAX_SHOWN_NAMES,
    MAX_SIMULATED_PODS,
    ON_DELETE,
    ORDERED_READY,
    PARALLEL,
    ROLLING_UPDATE,
    Bounds,
    PodDNS,
    Rejection,
    StatefulSetStep,
    Strategy,
    WorkloadPlan,
)
from kpolicy.plan.dns import _governing_service

_CURRENT: Final = "current"
_UPDATE: Final = "update"


@dataclass(frozen=True, slots=True)
class _StatefulSetSpec:
    name: str
    replicas: int
    start: int
    strategy_type: str  # RollingUpdate or OnDelete
    partition: int
    policy: str  # OrderedReady or Parallel
    max_unavailable_gate: bool
    max_unavailable: int  # resolved (1 when the gate is off)
    template_changed: bool


class _StatefulSetSimulation:
    """The StatefulSet controller's syncs over Pods by ordinal (stateful_set_control.go)."""

    def __init__(self, spec: _StatefulSetSpec, pods: dict[int, str]) -> None:
        self.spec = spec
        self.pods = pods
        self.created: list[int] = []
        self.deleted: list[int] = []
        self.update_order: list[int] = []
        self.available: set[int] = set()
        # live Pods that never become ready, and the revisions whose new Pods never do
        self.broken: set[int] = set()
        self.broken_revisions: set[str] = set()

    def _revision_for_new_pod(self, ordinal: int) -> str:
        # follows newVersionedStatefulSetPod (stateful_set_utils.go): below start + partition a
        # recreated Pod keeps the current revision
        spec = self.spec
        if not spec.template_changed:
            return _UPDATE
        if spec.strategy_type == ROLLING_UPDATE and ordinal < spec.start + spec.partition:
            return _CURRENT
        return _UPDATE

    def _create(self, ordinal: int) -> None:
        revision = self._revision_for_new_pod(ordinal)
        self.pods[ordinal] = revision
        self.created.append(ordinal)
        if revision in self.broken_revisions:
            self.broken.add(ordinal)

    def _delete(self, ordinal: int, *, for_update: bool = False) -> None:
        del self.pods[ordinal]
        self.broken.discard(ordinal)
        self.deleted.append(ordinal)
        if for_update:
            self.update_order.append(ordinal)

    def _healthy(self, ordinal: int) -> bool:
        return ordinal in self.pods and ordinal in self.available

    # follows defaultStatefulSetControl.updateStatefulSet with processReplica, processCondemned
    # and runForAll (monotonic for OrderedReady, burst for Parallel)
    def sync(self) -> None:
        spec = self.spec
        self.created = []
        self.deleted = []
        self.available = {o for o in self.pods if o not in self.broken}
        ordinals = range(spec.start, spec.start + spec.replicas)
        condemned = sorted((o for o in self.pods if o not in ordinals), reverse=True)
        monotonic = spec.policy != PARALLEL
        for ordinal in ordinals:
            if ordinal not in self.pods:
                self._create(ordinal)
                if monotonic:
                    return
            if monotonic and not self._healthy(ordinal):
                return
        for ordinal in condemned:
            self._delete(ordinal)
            if monotonic:
                return
        if spec.strategy_type == ON_DELETE:
            return
        if spec.max_unavailable_gate:
            self._update_after_invariant_established()
        else:
            self._rolling_update_one_at_a_time()

    # follows the end of updateStatefulSet when MaxUnavailableStatefulSet is off: from the
    # highest index down to the partition (an index counts from ordinals.start), delete the first
    # Pod not at the update revision, or wait for an unhealthy one
    def _rolling_update_one_at_a_time(self) -> None:
        spec = self.spec
        for index in range(spec.replicas - 1, spec.partition - 1, -1):
            ordinal = spec.start + index
            if self.pods.get(ordinal) != _UPDATE:
                self._delete(ordinal, for_update=True)
                return
            if not self._healthy(ordinal):
                return

    # follows updateStatefulSetAfterInvariantEstablished: with maxUnavailable budget, delete
    # Pods not at the update revision from the highest index down to the partition
    def _update_after_invariant_established(self) -> None:
        spec = self.spec
        indexes = range(spec.replicas)
        unavailable = sum(1 for index in indexes if not self._healthy(spec.start + index))
        if unavailable >= spec.max_unavailable:
            return
        budget = spec.max_unavailable - unavailable
        for index in range(spec.replicas - 1, spec.partition - 1, -1):
            if budget <= 0:
                break
            ordinal = spec.start + index
            if ordinal in self.pods and self.pods[ordinal] != _UPDATE:
                self._delete(ordinal, for_update=True)
                budget -= 1

    def state(self) -> tuple[tuple[int, str], ...]:
        return tuple(sorted(self.pods.items()))


def _statefulset_parts(
    fields: _Fields, max_unavailable_gate: bool
) -> tuple[int, int, str, int | None, str, object]:
    """replicas, start ordinal, update strategy type, partition, pod management policy and the
    unresolved maxUnavailable: wrong or invalid values dropped (each with a note), then the
    apps/v1 defaults filled in (SetDefaults_StatefulSet)."""
    spec = dict(fields.mapping("spec"))
    spec["replicas"] = fields.integer("spec", "replicas", default_text="1 replica")
    policy = fields.string("spec", "podManagementPolicy")
    if policy not in (None, "", ORDERED_READY, PARALLEL):
        fields.note(
            ("spec", "podManagementPolicy"),
            f"spec.podManagementPolicy {policy!r} is not OrderedReady or Parallel, which "
            "the API server rejects; planned as OrderedReady",
        )
        policy = None
    spec["podManagementPolicy"] = policy
    strategy = dict(fields.mapping("spec", "updateStrategy"))
    strategy_type = fields.string("spec", "updateStrategy", "type")
    if strategy_type not in (None, "", ROLLING_UPDATE, ON_DELETE):
        fields.note(
            ("spec", "updateStrategy", "type"),
            f"spec.updateStrategy.type {strategy_type!r} is not RollingUpdate or "
            "OnDelete, which the API server rejects; planned as RollingUpdate",
        )
        strategy_type = None
    strategy["type"] = strategy_type
    raw_rolling_update = fields.optional_mapping("spec", "updateStrategy", "rollingUpdate")
    if raw_rolling_update is None:
        strategy.pop("rollingUpdate", None)
    elif strategy_type == ON_DELETE:
        fields.note(
            ("spec", "updateStrategy", "rollingUpdate"),
            "spec.updateStrategy.rollingUpdate is set with type OnDelete, which the API "
            "server rejects; it is ignored",
        )
        strategy.pop("rollingUpdate", None)
    else:
        rolling_update = dict(raw_rolling_update)
        rolling_update["partition"] = fields.integer(
            "spec", "updateStrategy", "rollingUpdate", "partition", default_text="0"
        )
        max_unavailable = fields.int_or_percent(
            "spec", "updateStrategy", "rollingUpdate", "maxUnavailable", default_text="1"
        )
        if max_unavailable is not None and _is_zero(max_unavailable):
            fields.note(
                ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
                "spec.updateStrategy.rollingUpdate.maxUnavailable is 0, which the API "
                "server rejects; planned as 1",
            )
            max_unavailable = None
        rolling_update["maxUnavailable"] = max_unavailable
        strategy["rollingUpdate"] = rolling_update
    spec["updateStrategy"] = strategy
    spec["minReadySeconds"] = fields.integer("spec", "minReadySeconds")
    defaulted = apps_v1_defaults(
        "StatefulSet", spec, max_unavailable_statefulset=max_unavailable_gate
    )

    start = fields.integer("spec", "ordinals", "start", default_text="0")
    strategy_type = defaulted["updateStrategy"]["type"]
    partition: int | None = None
    raw_max_unavailable: object = None
    if strategy_type == ROLLING_UPDATE:
        # without a rollingUpdate block the controller updates from partition 0
        rolling = defaulted["updateStrategy"].get("rollingUpdate") or {}
        partition = rolling.get("partition", 0)
        raw_max_unavailable = rolling.get("maxUnavailable")
    return (
        defaulted["replicas"],
        start or 0,
        strategy_type,
        partition,
        defaulted["podManagementPolicy"],
        raw_max_unavailable,
    )


def statefulset_step(
    simulation: _StatefulSetSimulation, pod_name: Callable[[int], str]
) -> StatefulSetStep:
    """The step the simulation's last sync made: the Pods it created and deleted (a few named,
    the others counted) and the Pods at each revision after it."""
    create, create_omitted = _shown_names(
        (pod_name(o) for o in simulation.created), len(simulation.created)
    )
    delete, delete_omitted = _shown_names(
        (pod_name(o) for o in simulation.deleted), len(simulation.deleted)
    )
    return StatefulSetStep(
        create=create,
        delete=delete,
        new=sum(1 for rev in simulation.pods.values() if rev == _UPDATE),
        old=sum(1 for rev in simulation.pods.values() if rev == _CURRENT),
        available=sum(1 for o in simulation.pods if o in simulation.available),
        create_omitted=create_omitted,
        delete_omitted=delete_omitted,
    )


def statefulset_plan(
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
    *,
    diff: bool = False,
    rejections: Sequence[Rejection] = (),
    context: PlanContext = DEFAULT_CONTEXT,
) -> WorkloadPlan:
    """The creation, scaling and update order of a StatefulSet, and its Pods' DNS names.

    Without ``old`` (and without ``diff``) the plan is a Pod template update from ``replicas``
    available Pods at the current revision. ``context.services`` are the Service objects to look the
    governing Service up in (same namespace, named like ``spec.serviceName``).
    """
    kubernetes_version = context.kubernetes_version
    feature_gates = context.feature_gates
    cluster_domain = context.cluster_domain
    services = context.services
    notes: list[str] = []
    obj: Mapping[str, Any] = new if isinstance(new, dict) else {}
    fields = _Fields(new, notes)
    if _parse_version(kubernetes_version) is None:
        notes.append(
            f"Kubernetes version {kubernetes_version!r} is not X.Y; planned for "
            f"{DEFAULT_KUBERNETES_VERSION}"
        )
        kubernetes_version = DEFAULT_KUBERNETES_VERSION
    name = _name(obj)
    namespace = _namespace(obj)

    gate = feature_gate_enabled("MaxUnavailableStatefulSet", kubernetes_version, feature_gates)
    replicas, start, strategy_type, partition, policy, raw_max_unavailable = _statefulset_parts(
        fields, gate
    )
    old_obj: Mapping[str, Any] | None = old if isinstance(old, dict) else None
    change, changed_fields, rejected = change_of(
        obj,
        old,
        diff=diff,
        rejections=rejections,
        notes=notes,
        calm_start=f"{_pods(replicas)} at the current revision, all available",
    )
    if start and not feature_gate_enabled(
        "StatefulSetStartOrdinal", kubernetes_version, feature_gates
    ):
        notes.append(
            f"spec.ordinals.start {start} is ignored: "
            + _gate_note("StatefulSetStartOrdinal", kubernetes_version, feature_gates, False)
        )
        start = 0
    template_changed = change in ("rollout", "rollout+scale")

    # follows getStatefulSetMaxUnavailable, honoured only behind MaxUnavailableStatefulSet
    max_unavailable: int | None = None
    if strategy_type == ROLLING_UPDATE:
        try:
            resolved = intstr.statefulset_max_unavailable(raw_max_unavailable, replicas)
        except ValueError:
            resolved = 1
        max_unavailable = resolved if gate else 1
        gate_note = _gate_note("MaxUnavailableStatefulSet", kubernetes_version, feature_gates, gate)
        if not gate and resolved != 1:
            notes.append(
                f"maxUnavailable {raw_max_unavailable!r} is ignored and Pods are "
                f"replaced one at a time: {gate_note}"
            )
        elif template_changed:
            notes.append(gate_note)

    # the starting Pods: ordinal -> revision
    pods: dict[int, str] = {}
    if old_obj is not None:
        old_replicas, old_start, *_ = _statefulset_parts(_Fields(old_obj, []), gate)
        if not feature_gate_enabled("StatefulSetStartOrdinal", kubernetes_version, feature_gates):
            old_start = 0
        revision = _CURRENT if template_changed else _UPDATE
        if old_replicas <= MAX_SIMULATED_PODS:
            pods = {ordinal: revision for ordinal in range(old_start, old_start + old_replicas)}
    elif not diff and replicas <= MAX_SIMULATED_PODS:
        pods = {ordinal: _CURRENT for ordinal in range(start, start + replicas)}

    def pod_name(ordinal: int) -> str:
        return f"{name}-{ordinal}"

    spec = _StatefulSetSpec(
        name=name,
        replicas=replicas,
        start=start,
        strategy_type=strategy_type,
        partition=partition or 0,
        policy=policy,
        max_unavailable_gate=gate,
        max_unavailable=max_unavailable or 1,
        template_changed=template_changed,
    )
    simulation = _StatefulSetSimulation(spec, pods)
    steps = _StepLog()
    if rejected is not None:
        notes.append(_rejected_note("StatefulSet", rejections))
    elif replicas > MAX_SIMULATED_PODS or len(pods) > MAX_SIMULATED_PODS:
        notes.append(f"more than {MAX_SIMULATED_PODS} Pods: no step-by-step plan")
    else:

        def record() -> None:
            steps.append(statefulset_step(simulation, pod_name))

        _run(
            simulation.sync,
            simulation.state,
            simulation.state,
            record,
            notes,
            visits=max(len(pods), replicas),
        )

    if strategy_type == ON_DELETE:
        strategy = Strategy(ON_DELETE, None, None, None, policy)
        bounds = Bounds(replicas, replicas)
        if template_changed:
            notes.append(
                "OnDelete: the controller replaces no Pod by itself; each Pod gets the "
                "new template when you delete it"
            )
    else:
        strategy = Strategy(ROLLING_UPDATE, None, max_unavailable, partition, policy)
        bounds = Bounds(replicas, max(replicas - (max_unavailable or 1), 0))
        if template_changed and partition is not None and partition >= replicas > 0:
            notes.append(
                f"partition {partition} is not below replicas {replicas}: no Pod is updated"
            )
        elif template_changed and partition:
            held = [pod_name(o) for o in range(start, start + min(partition, replicas, 20))]
            listed = ", ".join(held) + (", ..." if partition > len(held) else "")
            notes.append(
                f"partition {partition} holds back {listed}"
                + (f" (the partition counts from ordinals.start {start})" if start else "")
            )
    min_ready = fields.integer("spec", "minReadySeconds")
    if min_ready:
        notes.append(
            f"minReadySeconds {min_ready}: each step also waits that long for new Pods "
            "to count as available"
        )
    if changed_fields:
        notes.append("changed: " + ", ".join(changed_fields))

    # follows initIdentity (stateful_set_utils.go): hostname = Pod name, subdomain =
    # spec.serviceName
    dns_fields = fields
    if rejected is not None and old_obj is not None:
        # the API server keeps the stored object, so the Pods keep its identity
        dns_fields = _Fields(old_obj, [])
        notes.append("the DNS names are those of the previous version, which stays in place")
    service_name = dns_fields.string("spec", "serviceName")
    template = dns_fields.optional_mapping("spec", "template")
    domain: str | None = None
    records = False
    if service_name:
        domain, records = _governing_service(
            services,
            namespace,
            service_name,
            _template_labels(template or {}),
            cluster_domain,
            notes,
        )
    else:
        notes.append(
            "spec.serviceName is not set: the Pods get hostnames but no subdomain and "
            "no per-Pod DNS names"
        )
    dns_pods: list[PodDNS] = []
    too_long: list[str] = []
    ordinals = sorted(simulation.pods)
    # the first and the last two Pods, as the formats show them
    head = MAX_SHOWN_NAMES - 2
    shown = ordinals if len(ordinals) <= MAX_SHOWN_NAMES else [*ordinals[:head], *ordinals[-2:]]
    for ordinal in shown:
        hostname = pod_name(ordinal)
        fqdn: str | None = None
        if len(hostname) > _DNS_LABEL_MAX:
            too_long.append(hostname)
        elif records and service_name:
            fqdn = f"{hostname}.{service_name}.{namespace}.svc.{cluster_domain}"
        dns_pods.append(
            PodDNS(
                hostname,
                ordinal,
                hostname,
                service_name or None,
                fqdn,
                simulation.pods[ordinal] == _UPDATE,
            )
        )
    if too_long:
        notes.append(
            f"Pod name {too_long[0]!r} is longer than 63 characters: it is not a valid "
            "hostname, so the API server rejects such Pods"
        )
    update_order, update_order_omitted = _shown_names(
        (pod_name(o) for o in simulation.update_order), len(simulation.update_order)
    )
    return WorkloadPlan(
        object=_object_ref(obj),
        change=change,
        replicas=replicas,
        strategy=strategy,
        bounds=bounds,
        **steps.fields(),
        update_order=update_order,
        update_order_omitted=update_order_omitted,
        pods=tuple(dns_pods),
        pods_omitted=len(ordinals) - len(shown),
        pods_omitted_after=head if len(ordinals) > len(shown) else 0,
        service_domain=domain,
        rejected=rejected,
        **_rejection_fields(rejections),
        notes=tuple(notes),
        changed_fields=tuple(changed_fields),
    )
