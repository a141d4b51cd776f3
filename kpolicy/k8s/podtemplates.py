"""Kinds that hold a pod template outside the built-in workload API: where each keeps its
template, its selector and its replica count.

Built in: Argo Rollouts' ``Rollout`` (argoproj.io), OpenShift's ``DeploymentConfig``
(apps.openshift.io) and the core ``PodTemplate``. A repository adds its own kinds with
``podTemplates:`` in ``.kpolicy.yaml``; a run makes them known with :func:`configured` (a
context variable, so that a worker forked during the run inherits them and two language-server
sessions with different configs do not see each other's).

The built-in workload kinds (Deployment, StatefulSet, ...) are entries of the same type in
:data:`kpolicy.workload.WORKLOAD_KINDS`; :func:`kpolicy.workload.workload_layout` answers for
both, so that the planner and the rules read one table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import ContextVar

from kpolicy.model import KObject, Path
from kpolicy.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final


@record(frozen=True, slots=True)
class PodTemplateKind:
    """Where a kind keeps its pod template and what runs its Pods."""

    group: str  # API group ("" for core)
    kind: str
    template: Path  # the pod template (metadata + spec)
    selector: Path | None = None
    # the selector is a plain label map (ReplicationController, DeploymentConfig), not a
    # metav1.LabelSelector
    selector_map: bool = False
    replicas: Path | None = None
    # what the controller of this kind creates to run the Pods, for messages ("ReplicaSets")
    runs_pods_through: str = "its controller"
    # the Pods run forever and are replaced when they stop: restartPolicy must be Always, as in
    # a ReplicaSet (ValidatePodTemplateSpecForReplicaSet)
    long_running: bool = False
    # the API server validates the pod template (and the selector against it) when the object
    # is created, so a finding there means the object itself is refused
    validated: bool = False
    # how a refusal of the pod template reaches the user; "" for a configured kind (the API
    # server accepts it, and rejects the Pods its controller creates)
    refusal: str = ""
    # its controller runs Pods from the template (a PodTemplate is only a template)
    runs_pods: bool = True
    # the whole apiVersion a configured entry names; None: any version of the group
    api_version: str | None = None
    configured: bool = False  # from podTemplates: in the config
    where: str = ""  # the config entry's file:line, for messages
    # the update strategy mapping of a kind that rolls out template changes (the built-in apps
    # kinds of kpolicy.workload.WORKLOAD_KINDS)
    strategy: Path | None = None
    planned: bool = False  # `kpolicy plan` simulates its controller (kpolicy.plan)

    @property
    def label(self) -> str:
        return f"{self.group}/{self.kind}" if self.group else self.kind

    def refused(self) -> str:
        """How the refusal of something in the pod template reaches the user."""
        return self.refusal or (
            f"the API server accepts the {self.kind} but rejects every Pod created from it"
        )


# Argo Rollouts: spec.selector, spec.template and spec.replicas as in a Deployment
# (pkg/apis/rollouts/v1alpha1 RolloutSpec); the controller creates ReplicaSets from the template
# and validates it with ValidatePodTemplateSpecForReplicaSet (pkg/apis/rollouts/validation
# ValidateRolloutSpec), so restartPolicy must be Always.
ROLLOUT: Final = PodTemplateKind(
    group="argoproj.io",
    kind="Rollout",
    template=("spec", "template"),
    selector=("spec", "selector"),
    replicas=("spec", "replicas"),
    runs_pods_through="ReplicaSets",
    long_running=True,
    refusal="the Argo Rollouts controller refuses the Rollout (InvalidSpec) and creates no Pod",
)
# OpenShift DeploymentConfig (apps.openshift.io/v1 DeploymentConfigSpec): selector is a plain
# label map like a ReplicationController's, and each deployment is a ReplicationController.
# The OpenShift API server validates it (ValidateDeploymentConfigSpec, openshift/origin
# pkg/apps/apis/apps/validation): the template with ValidatePodTemplateSpecForRC, as for a
# ReplicationController, and a non-empty selector.
DEPLOYMENT_CONFIG: Final = PodTemplateKind(
    group="apps.openshift.io",
    kind="DeploymentConfig",
    template=("spec", "template"),
    selector=("spec", "selector"),
    selector_map=True,
    replicas=("spec", "replicas"),
    runs_pods_through="ReplicationControllers",
    long_running=True,
    validated=True,
    refusal="the API server rejects this",
)
# core/v1 PodTemplate: a template on its own (no controller, no selector)
POD_TEMPLATE: Final = PodTemplateKind(
    group="",
    kind="PodTemplate",
    template=("template",),
    runs_pods_through="whatever uses it",
    runs_pods=False,
    validated=True,  # ValidatePodTemplate → ValidatePodTemplateSpec (pkg/apis/core/validation)
    refusal="the API server rejects this",
)

BUILTIN: Final[tuple[PodTemplateKind, ...]] = (ROLLOUT, DEPLOYMENT_CONFIG, POD_TEMPLATE)

_CONFIGURED: ContextVar[tuple[PodTemplateKind, ...]] = ContextVar("pod_template_kinds", default=())


class _Configured:
    """The context of :func:`configured` (a class: :mod:`contextlib` is not imported at
    start-up, 3M instructions of every run for this and a few ``suppress``)."""

    __slots__ = ("kinds", "token")

    def __init__(self, kinds: tuple[PodTemplateKind, ...]) -> None:
        self.kinds = kinds

    def __enter__(self) -> None:
        self.token = _CONFIGURED.set(self.kinds)

    def __exit__(self, *exc_info: object) -> None:
        _CONFIGURED.reset(self.token)


def configured(kinds: Sequence[PodTemplateKind]) -> _Configured:
    """Make the config's ``podTemplates:`` known for the duration of a run (``with``)."""
    return _Configured(tuple(kinds))


def configured_kinds() -> tuple[PodTemplateKind, ...]:
    return _CONFIGURED.get()


def _group_of(api_version: object) -> str | None:
    if not isinstance(api_version, str):
        return None
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def layout_of(obj: KObject) -> PodTemplateKind | None:
    """The entry of a custom pod-template kind (built in or configured) that ``obj`` is, matched
    by API group and kind (and the whole apiVersion for a configured entry); None for the
    built-in workload kinds and everything else."""
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    configured = _CONFIGURED.get()
    if not configured and kind not in _BUILTIN_NAMES:
        return None  # most objects
    api_version = obj.data.get("apiVersion")
    for entry in configured:
        if entry.kind == kind and entry.api_version == api_version:
            return entry
    if kind not in _BUILTIN_NAMES:
        return None
    group = _group_of(api_version)
    for entry in BUILTIN:
        if entry.kind == kind and entry.group == group:
            return entry
    return None


_BUILTIN_NAMES: Final = frozenset(entry.kind for entry in BUILTIN)


def kind_names() -> list[str]:
    """The names of every custom pod-template kind of this run, for `kpolicy rules`."""
    names = [entry.kind for entry in BUILTIN]
    names.extend(entry.kind for entry in _CONFIGURED.get() if entry.kind not in names)
    return names


def parse_pointer(pointer: str) -> Path:
    """A JSON pointer (``/spec/podTemplate``) as a path; ``~1`` and ``~0`` unescaped."""
    if pointer == "":
        return ()
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:])


def from_config(
    entries: Sequence[Mapping[str, Any]], where: Sequence[str]
) -> list[PodTemplateKind]:
    """The config's ``podTemplates:`` (already validated by the config schema)."""
    kinds = []
    for entry, location in zip(entries, where, strict=True):
        api_version = str(entry["apiVersion"])
        selector = entry.get("selector")
        replicas = entry.get("replicas")
        kinds.append(
            PodTemplateKind(
                group=_group_of(api_version) or "",
                kind=str(entry["kind"]),
                template=parse_pointer(str(entry["template"])),
                selector=None if selector is None else parse_pointer(str(selector)),
                selector_map=entry.get("selectorType") == "map",
                replicas=None if replicas is None else parse_pointer(str(replicas)),
                api_version=api_version,
                configured=True,
                where=location,
            )
        )
    return kinds
