"""Every object once, by (kind, namespace, name) and by pod-template labels."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator

from kpolicy.model import KObject
from kpolicy.workload import POD_SPEC_KINDS, template_labels

_CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "IngressClass",
        "RuntimeClass",
        "CSIDriver",
        "VolumeAttachment",
    }
)


def scope_namespace(obj: KObject) -> str:
    """The namespace an object lives in; ``""`` for cluster-scoped kinds."""
    return "" if obj.kind in _CLUSTER_SCOPED else obj.namespace


class Index:
    """Built once per run from the reported inputs and the ``--context`` inputs."""

    def __init__(self, objects: Iterable[KObject]) -> None:
        self._objects: list[KObject] = list(objects)
        self._by_key: dict[tuple[str, str, str], list[KObject]] = defaultdict(list)
        self._by_kind: dict[str, list[KObject]] = defaultdict(list)
        self._by_kind_ns: dict[tuple[str, str], list[KObject]] = defaultdict(list)
        # (namespace, label key, label value) → pod-template objects carrying that label
        self._templates_by_label: dict[tuple[str, str, str], list[KObject]] = defaultdict(list)
        self._templates_by_ns: dict[str, list[KObject]] = defaultdict(list)
        self._labels: dict[int, dict[str, str]] = {}
        self._patch_files: set[str] | None = None
        for obj in self._objects:
            ns = scope_namespace(obj)
            self._by_key[(obj.kind, ns, obj.name)].append(obj)
            self._by_kind[obj.kind].append(obj)
            self._by_kind_ns[(obj.kind, ns)].append(obj)
            if obj.kind in POD_SPEC_KINDS:
                labels = template_labels(obj)
                self._labels[id(obj)] = labels
                self._templates_by_ns[ns].append(obj)
                for key, value in labels.items():
                    self._templates_by_label[(ns, key, value)].append(obj)

    def is_kustomize_patch(self, obj: KObject) -> bool:
        """Whether a kustomization in the inputs names ``obj``'s file as a patch."""
        if self._patch_files is None:
            self._patch_files = _kustomize_patch_files(self._by_kind.get("Kustomization", ()))
        return bool(self._patch_files) and os.path.normpath(obj.source.display) in self._patch_files

    def __iter__(self) -> Iterator[KObject]:
        return iter(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    def get(self, kind: str, namespace: str, name: str) -> KObject | None:
        found = self._by_key.get((kind, namespace, name))
        return found[0] if found else None

    def all_named(self, kind: str, namespace: str, name: str) -> list[KObject]:
        return list(self._by_key.get((kind, namespace, name), ()))

    def of_kind(self, kind: str, namespace: str | None = None) -> list[KObject]:
        if namespace is None:
            return list(self._by_kind.get(kind, ()))
        return list(self._by_kind_ns.get((kind, namespace), ()))

    def labels_of(self, obj: KObject) -> dict[str, str]:
        """Pod-template labels of a workload (computed once at indexing)."""
        found = self._labels.get(id(obj))
        return found if found is not None else template_labels(obj)

    def templates_with(self, namespace: str, required: dict[str, str]) -> list[KObject]:
        """Pod-template objects of a namespace whose labels include every ``required`` pair.

        Candidates come from the rarest posting list, so matching a selector costs the size of
        that list, not the namespace.
        """
        if not required:
            return list(self._templates_by_ns.get(namespace, ()))
        lists = [self._templates_by_label.get((namespace, k, v), []) for k, v in required.items()]
        shortest = min(lists, key=len)
        return [
            obj
            for obj in shortest
            if all(self.labels_of(obj).get(k) == v for k, v in required.items())
        ]


def _kustomize_patch_files(kustomizations: Iterable[KObject]) -> set[str]:
    """Files that kustomization.yaml files use as patches (strategic merge or JSON 6902)."""
    found: set[str] = set()
    for k in kustomizations:
        folder = os.path.dirname(k.source.display)
        entries: list[object] = []
        for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
            value = k.data.get(key)
            if isinstance(value, list):
                entries.extend(value)
        for entry in entries:
            path = entry.get("path") if isinstance(entry, dict) else entry
            if isinstance(path, str) and "\n" not in path:
                found.add(os.path.normpath(os.path.join(folder, path)))
    return found
