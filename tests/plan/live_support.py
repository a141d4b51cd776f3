"""Builders of live objects as ``kubectl get -o yaml`` prints them (written by hand for these
tests: the fields the API server fills in are there, as a real dump has them)."""

from __future__ import annotations

from typing import Any

NS = "default"


def _uid(kind: str, name: str) -> str:
    return f"uid-{kind.lower()}-{name}"


def template(image: str, labels: dict[str, str] | None = None, **extra: str) -> dict[str, Any]:
    """A Pod template as the API server stores it (defaults filled in)."""
    meta_labels = dict(labels or {"app": "web"})
    meta_labels.update(extra)
    return {
        "metadata": {"labels": meta_labels},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "resources": {},
                }
            ],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
        },
    }


def manifest_template(image: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Pod template as a manifest writes it (no defaults)."""
    return {
        "metadata": {"labels": dict(labels or {"app": "web"})},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def owner(kind: str, name: str) -> list[dict[str, Any]]:
    api = "v1" if kind == "Node" else "apps/v1"
    return [
        {
            "apiVersion": api,
            "kind": kind,
            "name": name,
            "uid": _uid(kind, name),
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def live_deployment(
    name: str = "web",
    replicas: int = 10,
    image: str = "nginx:1.25",
    *,
    surge: Any = 3,
    unavailable: Any = 2,
    paused: bool = False,
    history_limit: int | None = 10,
    labels: dict[str, str] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    status: bool = True,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": dict(labels or {"app": "web"})},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
        },
        "template": template(image, labels),
        "progressDeadlineSeconds": 600,
    }
    if history_limit is not None:
        spec["revisionHistoryLimit"] = history_limit
    if paused:
        spec["paused"] = True
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": _uid("Deployment", name),
            "annotations": dict(annotations or {}),
        },
        "spec": spec,
    }
    if status:
        obj["status"] = {"observedGeneration": 3, "conditions": list(conditions or [])}
    return obj


def replica_set(
    deployment: str,
    hash_: str,
    revision: int,
    image: str,
    replicas: int,
    available: int | None = None,
    *,
    status_replicas: int | None = None,
    desired: int | None = None,
    max_replicas: int | None = None,
    created: str = "2026-01-01T00:00:00Z",
    change_cause: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    name = f"{deployment}-{hash_}"
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if desired is not None:
        annotations["deployment.kubernetes.io/desired-replicas"] = str(desired)
    if max_replicas is not None:
        annotations["deployment.kubernetes.io/max-replicas"] = str(max_replicas)
    if change_cause is not None:
        annotations["kubernetes.io/change-cause"] = change_cause
    pod_labels = dict(labels or {"app": "web"})
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": _uid("ReplicaSet", name),
            "creationTimestamp": created,
            "annotations": annotations,
            "labels": {**pod_labels, "pod-template-hash": hash_},
            "ownerReferences": owner("Deployment", deployment),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {**pod_labels, "pod-template-hash": hash_}},
            "template": template(image, pod_labels, **{"pod-template-hash": hash_}),
        },
        "status": {
            "replicas": replicas if status_replicas is None else status_replicas,
            "availableReplicas": replicas if available is None else available,
            "readyReplicas": replicas if available is None else available,
        },
    }


def pod(
    name: str,
    owner_kind: str,
    owner_name: str,
    *,
    ready: bool = True,
    labels: dict[str, str] | None = None,
    node: str = "node-1",
    reason: str = "ImagePullBackOff",
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "phase": "Running" if ready else "Pending",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    if not ready:
        status["containerStatuses"] = [
            {"name": "app", "ready": False, "state": {"waiting": {"reason": reason}}}
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": dict(labels or {}),
            "ownerReferences": owner(owner_kind, owner_name),
        },
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "x"}]},
        "status": status,
    }


def live_statefulset(
    name: str = "web",
    replicas: int = 3,
    image: str = "nginx:1.25",
    *,
    current: str = "web-aaa",
    update: str = "web-aaa",
    policy: str = "OrderedReady",
    partition: int | None = None,
) -> dict[str, Any]:
    rolling: dict[str, Any] = {}
    if partition is not None:
        rolling["partition"] = partition
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": NS, "uid": _uid("StatefulSet", name)},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "podManagementPolicy": policy,
            "selector": {"matchLabels": {"app": name}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling},
            "revisionHistoryLimit": 10,
            "template": template(image, {"app": name}),
        },
        "status": {
            "replicas": replicas,
            "currentRevision": current,
            "updateRevision": update,
        },
    }


def controller_revision(owner_name: str, hash_: str, revision: int, image: str) -> dict[str, Any]:
    name = f"{owner_name}-{hash_}"
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": NS,
            "ownerReferences": owner("StatefulSet", owner_name),
        },
        "revision": revision,
        "data": {"spec": {"template": template(image, {"app": owner_name})}},
    }


def stateful_pod(
    owner_name: str,
    ordinal: int,
    revision: str,
    *,
    ready: bool = True,
    reason: str = "CrashLoopBackOff",
) -> dict[str, Any]:
    return pod(
        f"{owner_name}-{ordinal}",
        "StatefulSet",
        owner_name,
        ready=ready,
        labels={"app": owner_name, "controller-revision-hash": revision},
        reason=reason,
    )
