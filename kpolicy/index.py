"""Every object once, by (kind, namespace, name) and by pod-template labels."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from operator import itemgetter

from kpolicy.helm import HOOK_ANNOTATION, is_hook
from kpolicy.k8s.podtemplates import BUILTIN as BUILTIN_TEMPLATE_KINDS
from kpolicy.k8s.podtemplates import configured_kinds
from kpolicy.k8s.selector import Selector
from kpolicy.model import KObject
from kpolicy.repo import Relation, plain_relation, plain_relation_class
from kpolicy.workload import (
    POD_SPEC_KINDS,
    WORKLOAD_KINDS,
    get,
    mapping,
    runs_pods,
    str_map,
    template_labels,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

if TYPE_CHECKING:
    _T = TypeVar("_T")

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


# the names of the built-in custom pod-template kinds (Argo Rollout, DeploymentConfig, ...)
_CUSTOM_TEMPLATE_NAMES = frozenset(entry.kind for entry in BUILTIN_TEMPLATE_KINDS)


# the kinds that scale a workload (scalers_targeting), in the order they are answered
SCALER_KINDS = ("HorizontalPodAutoscaler", "ScaledObject")


_MISSING: Any = object()  # Index.memo: no value yet


def folder_of_file(path: str) -> str:
    """``os.path.dirname(path)``, without its calls where the last ``/`` has a name before it
    (a displayed path of the linted folder, nearly always): the text before that ``/``."""
    at = path.rfind("/")
    if at > 0 and path[at - 1] != "/" and _SLASH_ONLY:
        return path[:at]
    return os.path.dirname(path)


# whether "/" is the one separator of os.path (not Windows', which takes "\\" too)
_SLASH_ONLY = os.sep == "/" and os.altsep is None


def scope_namespace(obj: KObject) -> str:
    """The namespace an object lives in; ``""`` for cluster-scoped kinds."""
    return "" if obj.kind in _CLUSTER_SCOPED else obj.namespace


class Index:
    """Built once per run from the reported inputs and the ``--context`` inputs."""

    def __init__(
        self,
        objects: Iterable[KObject],
        relation: Callable[[str, str], Relation] | None = None,
        relation_class: Callable[[str], Hashable] | None = None,
    ) -> None:
        """``relation`` tells how two files are applied (every file a plain file when None);
        ``relation_class`` gives a file a class such that two different files of one class
        relate alike to every other file (:meth:`kpolicy.repo.RepoModel.relation_class`; for
        a ``relation`` without one, each file is its own class)."""
        self._objects: list[KObject] = list(objects)
        if relation is None:
            relation, relation_class = plain_relation, plain_relation_class
        self._relation = relation
        self._relation_class = relation_class
        # file → the number of its class; (class, class) → the relation of two different files
        self._file_class: dict[str, int] = {}
        self._class_numbers: dict[Hashable, int] = {}
        self._relations: dict[tuple[int, int], Relation] = {}
        # (plain dicts, a list made where a key is new: a defaultdict makes each by calling
        # ``list``, a type's call, ~4 times the instructions of a ``[obj]``)
        self._by_key: dict[tuple[str, str, str], list[KObject]] = {}
        self._by_kind: dict[str, list[KObject]] = {}
        # kind → namespace → its objects of the kind: grouped for a kind when first asked
        # (of_kind), from _by_kind (a few kinds of a run are asked about)
        self._by_kind_ns: dict[str, dict[str, list[KObject]]] = {}
        # (namespace, label key, label value) → pod-template objects carrying that label
        self._templates_by_label: dict[tuple[str, str, str], list[KObject]] = {}
        self._templates_by_ns: dict[str, list[KObject]] = {}
        self._labels: dict[int, dict[str, str]] = {}
        # built on first use (see the methods that fill them)
        self._scalers: dict[tuple[str, str, str], list[KObject]] | None = None
        self._scaled: frozenset[tuple[str, str]] | None = None
        self._selecting: dict[str, _SelectorIndex] = {}
        # every object of a namespace ("": cluster-scoped), in input order
        self._by_ns: dict[str, list[KObject]] = {}
        # the lists of _by_key with more than one object (the same object defined twice)
        self._repeated: list[list[KObject]] = []
        self._folders_of_alternatives: set[str] | None = None
        self._memo: dict[Hashable, Any] = {}
        by_key, by_kind = self._by_key, self._by_kind
        labels_of, by_ns, by_label = self._labels, self._templates_by_ns, self._templates_by_label
        everything_by_ns, repeated = self._by_ns, self._repeated
        cluster_scoped = _CLUSTER_SCOPED
        pod_spec_kinds = POD_SPEC_KINDS
        workload_kinds = WORKLOAD_KINDS
        hook = HOOK_ANNOTATION
        # runs_pods(obj) of a kind outside pod_spec_kinds: only a custom pod-template kind's
        # (kpolicy.k8s.podtemplates.layout_of), by its name unless the config adds kinds
        custom_names = None if configured_kinds() else _CUSTOM_TEMPLATE_NAMES
        for obj in self._objects:
            if obj.patch:
                # a kustomize patch is merged onto another object: it is no object of its own
                # for the others to find
                continue
            # obj.kind, scope_namespace(obj) and obj.name, read once
            ref = obj.ref
            kind = ref.kind or ""
            ns = "" if kind in cluster_scoped else (ref.namespace or "default")
            key = (kind, ns, ref.name or "")
            named = by_key.get(key)
            if named is None:
                by_key[key] = [obj]
            else:
                named.append(obj)
                if len(named) == 2:
                    repeated.append(named)
            found = everything_by_ns.get(ns)
            if found is None:
                everything_by_ns[ns] = [obj]
            else:
                found.append(obj)
            found = by_kind.get(kind)
            if found is None:
                by_kind[kind] = [obj]
            else:
                found.append(obj)
            # runs_pods, without a call for the built-in kinds
            if kind in pod_spec_kinds:
                data: Any = obj.data
            elif (custom_names is None or kind in custom_names) and runs_pods(obj):
                data = obj.data
            else:
                continue
            # is_hook(data), in line: a Helm hook or test runs around a release: no Service,
            # budget or other workload of the release is meant to select its Pods
            metadata = data.get("metadata")
            annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
            if isinstance(annotations, dict) and hook in annotations:
                continue
            layout = workload_kinds.get(kind)
            if layout is not None:
                # template_labels(obj) of a built-in workload, without its calls
                template = data
                for step in layout.template:
                    template = template.get(step) if isinstance(template, dict) else None
                metadata = template.get("metadata") if isinstance(template, dict) else None
                labels = str_map(metadata.get("labels") if isinstance(metadata, dict) else None)
            else:
                labels = template_labels(obj)
            labels_of[id(obj)] = labels
            found = by_ns.get(ns)
            if found is None:
                by_ns[ns] = [obj]
            else:
                found.append(obj)
            for label, value in labels.items():
                pair = (ns, label, value)
                found = by_label.get(pair)
                if found is None:
                    by_label[pair] = [obj]
                else:
                    found.append(obj)

    def is_kustomize_patch(self, obj: KObject) -> bool:
        """Whether ``obj`` is a kustomize patch (see ``KObject.patch``)."""
        return obj.patch

    def relation(self, a: KObject, b: KObject) -> Relation:
        """How two objects' files are applied (:meth:`kpolicy.repo.RepoModel.relation`; without
        a repository model every file is a plain file). A folder in which two plain files
        define one object (kind, namespace and name) is not applied as a whole: with
        ``kubectl apply -f DIR`` the later would replace the earlier, so its files are
        alternatives (install variants, test fixtures) and relate as :attr:`Relation.OTHER_FOLDERS`."""
        return self.relations_from(a)(b)

    def relations_from(self, obj: KObject) -> Callable[[KObject], Relation]:
        """``lambda other: self.relation(obj, other)``, for the many others of one object.
        Asked for every pair of candidates (at 20 copies of a corpus, 400,000 times for
        210,000 pairs of files but 7,700 pairs of folders), a relation is found once per pair
        of file classes (:meth:`_class_of`)."""
        file_a = obj.source.display
        classes = self._file_class
        class_a = classes.get(file_a)
        if class_a is None:
            class_a = self._class_of(file_a)
        known = self._relations
        same_file = Relation.SAME_FILE

        def relation(other: KObject) -> Relation:
            file_b = other.source.display
            if file_b == file_a:
                return same_file
            class_b = classes.get(file_b)
            if class_b is None:
                class_b = self._class_of(file_b)
            found = known.get((class_a, class_b))
            if found is None:
                found = known[class_a, class_b] = self._file_relation(file_a, file_b)
            return found

        return relation

    def _class_of(self, display: str) -> int:
        """The number of the file's class: its class under ``relation_class`` (the file itself
        without one) and its folder, which :meth:`_alternatives` reads."""
        own = self._relation_class(display) if self._relation_class is not None else display
        key = (own, folder_of_file(display))
        number = self._class_numbers.setdefault(key, len(self._class_numbers))
        self._file_class[display] = number
        return number

    def _file_relation(self, file_a: str, file_b: str) -> Relation:
        relation = self._relation(file_a, file_b)
        if relation is Relation.SAME_FOLDER and self._alternatives(file_a):
            return Relation.OTHER_FOLDERS
        return relation

    def _alternatives(self, display: str) -> bool:
        """Whether ``display`` lies in a folder whose files define some object twice."""
        folders = self._folders_of_alternatives
        if folders is None:
            folders = set()
            folder_of: dict[str, str] = {}  # a file's folder, worked out once
            dirname = folder_of_file
            # nearly every object is defined once: only the others are walked, in one pass
            # each: a folder where a second file defines the object has alternatives
            for objs in self._repeated:
                first_in: dict[str, str] = {}  # folder → the first file defining the object
                for obj in objs:
                    file = obj.source.display
                    folder = folder_of.get(file)
                    if folder is None:
                        folder = folder_of[file] = dirname(file)
                    if first_in.setdefault(folder, file) != file:
                        folders.add(folder)
            self._folders_of_alternatives = folders
        return folder_of_file(display) in folders

    def applied_together(self, a: KObject, b: KObject) -> bool:
        """Whether two objects are applied together: one file, one folder of plain files, one
        kustomize build or one chart. Objects of files in different folders that no
        kustomization joins are not (alternatives, or separate applications)."""
        return self.relation(a, b).together

    def together_with(self, obj: KObject) -> Callable[[KObject], bool]:
        """``lambda other: self.applied_together(obj, other)``, for the many others of one
        object."""
        relation_to = self.relations_from(obj)
        together = Relation.SAME_CHART

        def applied_together(other: KObject) -> bool:
            return relation_to(other) <= together

        return applied_together

    def applied_with(self, obj: KObject, others: Iterable[KObject]) -> list[KObject]:
        """``others`` applied together with ``obj``, in their order; when none is, those in
        plain files of other folders (a repository laid out by kind: Services in one folder,
        Deployments in another); never those of another kustomize build or chart. So an
        alternative in another folder counts only where nothing applied with ``obj`` does."""
        together: list[KObject] = []
        apart: list[KObject] = []
        relation_to = self.relations_from(obj)
        for other in others:
            relation = relation_to(other)
            if relation <= Relation.SAME_CHART:  # together
                together.append(other)
            elif relation is Relation.OTHER_FOLDERS and not together:
                apart.append(other)
        return together or apart

    def nearest(self, obj: KObject, others: Iterable[KObject]) -> list[KObject]:
        """``others`` that may be applied with ``obj``, nearest first (the same file, folder,
        build or chart, then plain files of other folders, which a user may apply with it),
        in input order within each; those of another kustomize build or chart are left out."""
        relation_to = self.relations_from(obj)
        ranked = [(relation_to(other), order, other) for order, other in enumerate(others)]
        ranked.sort(key=itemgetter(0))  # stable: in input order within each relation
        apart = Relation.APART
        return [other for rel, _, other in ranked if rel is not apart]

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per run for ``key``: for results that depend on the index alone.

        Callers put a tag of their own first in ``key`` so that uses never collide.
        """
        # a miss is as common as a hit (most keys are one object's): no KeyError raised
        memo = self._memo
        value = memo.get(key, _MISSING)
        if value is _MISSING:
            value = memo[key] = compute()
        return value  # type: ignore[no-any-return]

    def scalers_targeting(self, namespace: str, kind: str, name: str) -> list[KObject]:
        """HorizontalPodAutoscalers, then KEDA ScaledObjects, of ``namespace`` whose
        ``spec.scaleTargetRef`` names ``kind`` and ``name`` (each in input order).

        A ScaledObject's ``scaleTargetRef.kind`` defaults to Deployment. The reference's
        apiVersion is left to the caller.
        """
        scalers = self._scalers
        if scalers is None:
            scalers = self._find_scalers()
        return list(scalers.get((namespace, kind, name), ()))

    def scaled(self) -> frozenset[tuple[str, str]]:
        """The (kind, name) pairs that some scaler's ``scaleTargetRef`` names, in any namespace:
        an object not among them has no :meth:`scalers_targeting` (nearly every workload),
        known without the namespace's look-up."""
        found = self._scaled
        if found is None:
            found = self._scaled = frozenset((kind, name) for _, kind, name in self._find_scalers())
        return found

    def _find_scalers(self) -> dict[tuple[str, str, str], list[KObject]]:
        """Build, once, what :meth:`scalers_targeting` answers from."""
        if self._scalers is None:
            scalers: dict[tuple[str, str, str], list[KObject]] = defaultdict(list)
            for scaler_kind in SCALER_KINDS:
                default_kind = "Deployment" if scaler_kind == "ScaledObject" else None
                for scaler in self._by_kind.get(scaler_kind, ()):
                    if is_hook(scaler.data):
                        continue
                    ref = mapping(get(scaler.data, "spec", "scaleTargetRef"))
                    ref_name = ref.get("name")
                    ref_kind = ref.get("kind", default_kind)
                    if isinstance(ref_name, str) and isinstance(ref_kind, str):
                        key = (scope_namespace(scaler), ref_kind, ref_name)
                        scalers[key].append(scaler)
            self._scalers = scalers
        return self._scalers

    def pdbs_selecting(self, namespace: str, labels: dict[str, str]) -> list[KObject]:
        """PodDisruptionBudgets of ``namespace`` whose ``spec.selector`` matches ``labels``
        (in input order); a PDB with an invalid selector matches nothing."""
        return self._selector_index("PodDisruptionBudget").selecting(namespace, labels)

    def network_policies_selecting(self, namespace: str, labels: dict[str, str]) -> list[KObject]:
        """NetworkPolicies of ``namespace`` whose ``spec.podSelector`` matches ``labels`` (in
        input order; an empty podSelector matches every Pod of the namespace)."""
        return self._selector_index("NetworkPolicy").selecting(namespace, labels)

    def _selector_index(self, kind: str) -> _SelectorIndex:
        found = self._selecting.get(kind)
        if found is None:
            path, missing_selects_all = _SELECTOR_PATHS[kind]
            found = self._selecting[kind] = _SelectorIndex(
                # Helm test and hook objects are not part of the release's steady state
                (o for o in self._by_kind.get(kind, ()) if not is_hook(o.data)),
                path,
                missing_selects_all,
            )
        return found

    def in_namespace(self, namespace: str) -> list[KObject]:
        """Every object of ``namespace`` (``""``: the cluster-scoped ones), in input order."""
        return list(self._by_ns.get(namespace, ()))

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
        grouped = self._by_kind_ns.get(kind)
        if grouped is None:
            grouped = self._by_kind_ns[kind] = {}
            for obj in self._by_kind.get(kind, ()):  # in input order, as each namespace's
                grouped.setdefault(scope_namespace(obj), []).append(obj)
        return list(grouped.get(namespace, ()))

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
        if len(lists) == 1:
            return list(shortest)  # a posting list holds just the objects with its pair
        # every object of a posting list was indexed with its labels; each required pair
        # among them (the values are strings: a missing key is no match), compared in C
        pairs = required.items()
        labels = self._labels
        return [obj for obj in shortest if pairs <= labels[id(obj)].items()]


_SelectorEntry = tuple[int, KObject, Selector]  # (input order, the object, its selector)

# the kinds whose label selector picks Pods: where it is, and whether a missing one selects every
# Pod (a NetworkPolicy's podSelector is a value, not a pointer: absent is empty; a policy/v1
# PodDisruptionBudget without a selector selects nothing)
_SELECTOR_PATHS: dict[str, tuple[tuple[str, ...], bool]] = {
    "PodDisruptionBudget": (("spec", "selector"), False),
    "NetworkPolicy": (("spec", "podSelector"), True),
}


class _SelectorIndex:
    """Objects of one kind by one label pair their selector requires (or by namespace alone
    when it requires none), so a look-up costs the objects that may match, not the namespace."""

    def __init__(
        self, objects: Iterable[KObject], path: tuple[str, ...], missing_selects_all: bool
    ) -> None:
        self._by_pair: dict[tuple[str, str, str], list[_SelectorEntry]] = defaultdict(list)
        self._by_ns: dict[str, list[_SelectorEntry]] = defaultdict(list)
        for order, obj in enumerate(objects):
            raw = get(obj.data, *path)
            if raw is None and missing_selects_all and isinstance(obj.data.get("spec"), dict):
                raw = {}
            selector = Selector.from_label_selector(raw)
            if selector is None or selector.selects_nothing:
                continue
            ns = scope_namespace(obj)
            entry = (order, obj, selector)
            pairs = selector.required_pairs()
            if pairs:
                key, value = next(iter(pairs.items()))
                self._by_pair[(ns, key, value)].append(entry)
            else:
                self._by_ns[ns].append(entry)

    def selecting(self, namespace: str, labels: dict[str, str]) -> list[KObject]:
        candidates = list(self._by_ns.get(namespace, ()))
        for key, value in labels.items():
            candidates += self._by_pair.get((namespace, key, value), ())
        candidates.sort(key=lambda entry: entry[0])
        return [obj for _, obj, selector in candidates if selector.matches(labels)]


class NeedsIndex(Exception):
    """Raised by a :class:`LocalIndex` when a check asks about other objects in a worker's
    local pass: the check reads more than it declares (``@check(..., reads=Reads.INDEX)``
    runs in the parent), a bug reported as an internal-error. tests/test_parallel.py holds
    every declaration to the code."""


class LocalIndex:
    """The index of a worker's local pass, before every file is loaded: it answers what depends
    on one object alone (``memo``, ``labels_of``, ``is_kustomize_patch``) and raises
    :class:`NeedsIndex` for anything else, so that a check that reads other objects without
    declaring it fails instead of answering from a partial index. Anything not listed here
    raises, including methods added to :class:`Index` later."""

    def __init__(self) -> None:
        self._memo: dict[Hashable, Any] = {}
        self._labels: dict[int, dict[str, str]] = {}  # nothing indexed: computed when asked

    # the same as the whole index's: they depend on one object alone
    memo = Index.memo
    labels_of = Index.labels_of
    is_kustomize_patch = Index.is_kustomize_patch

    def clear(self) -> None:
        """Forget what was remembered: a worker calls it before each file, since memo keys
        hold ``id()`` of objects, which are reused once a finished file's objects are freed."""
        self._memo.clear()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy, pickle and hasattr probe dunders: not a query
            raise AttributeError(name)
        raise NeedsIndex(name)


# the fields of an object kept by name only (kpolicy.lint.run.names_only)
NAME_FIELDS = frozenset({"apiVersion", "kind", "metadata"})


class NotKeptWhole(Exception):
    """Raised when a check reads a field beyond :data:`NAME_FIELDS` of an object that the
    parent keeps by name only: the check reads a kind it does not declare
    (``@check(..., kinds=...)``), a bug reported as an internal-error."""


class NamesOnly(dict[str, "Any"]):
    """The data of an object kept by name only: its kind, apiVersion and metadata. Asking for
    any other field raises :class:`NotKeptWhole` instead of answering that it is absent."""

    __slots__ = ()

    def __missing__(self, key: str) -> Any:
        if key in NAME_FIELDS:
            raise KeyError(key)
        raise NotKeptWhole(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key in NAME_FIELDS or dict.__contains__(self, key):
            return dict.get(self, key, default)
        raise NotKeptWhole(key)

    def __contains__(self, key: object) -> bool:
        if key in NAME_FIELDS or dict.__contains__(self, key):
            return dict.__contains__(self, key)
        raise NotKeptWhole(key)


class _NotKept(list["Any"]):
    """The value of a field that the parent does not keep (:data:`NOT_KEPT`): reading it (its
    length, items, truth) raises :class:`NotKeptWhole` instead of answering that it is empty."""

    __slots__ = ()

    def _refuse(self, *args: Any) -> Any:
        raise NotKeptWhole("a field the parent does not keep")

    __len__ = __iter__ = __getitem__ = __contains__ = __reversed__ = __bool__ = _refuse

    def __reduce__(self) -> str:
        return "NOT_KEPT"  # the one in the process that unpickles it


NOT_KEPT = _NotKept()


class PackedWhole(NamesOnly):
    """The data of an object kept by name only, with the whole of it packed (pickled) for the
    one reader that needs it once: the schemas that a CustomResourceDefinition gives
    (:func:`whole_data`), which keeps only the last definition of each kind. Copies of one
    large definition (a chart in many folders) then cost their packed size until read;
    ``served``, the (apiVersion, kind) whose schemas it gives (the keys of
    :func:`kpolicy.schema.custom.crd_schemas`), lets the parent unpack only the definitions of
    kinds that its input has (:meth:`kpolicy.schema.SchemaValidator.register_crd`)."""

    __slots__ = ("packed", "served")

    packed: bytes
    served: tuple[tuple[str, str], ...]


def whole_data(data: dict[str, Any]) -> dict[str, Any]:
    """An object's whole data: unpacked from a :class:`PackedWhole`, else ``data`` itself."""
    if isinstance(data, PackedWhole):
        from _pickle import loads  # the C unpickler, as kpolicy.parallel's

        # written by this run's own worker (lint.run.names_only), never read from a file
        unpacked: dict[str, Any] = loads(data.packed)
        return unpacked
    return data
