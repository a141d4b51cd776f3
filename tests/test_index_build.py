"""The index's one walk over the objects (plain dicts, each list made where its key is new; a
hook's annotation read inline; the objects of a kind grouped by namespace only for a kind that
is asked about) held to what each look-up means, written here object by object, on generated
objects: every kind, namespace and name, repeated ones, kustomize patches, Helm hooks."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kpolicy.helm import is_hook
from kpolicy.index import Index, scope_namespace
from kpolicy.model import KObject
from kpolicy.records import replace
from kpolicy.workload import runs_pods, template_labels
from tests.test_cross_object_fast_paths import SETTINGS, _any_kind, _load

_NAMESPACES = ("", "default", "other", "nowhere")
_KINDS = (
    "Deployment",
    "Job",
    "CronJob",
    "Pod",
    "DeploymentConfig",
    "Service",
    "ConfigMap",
    "Namespace",
    "Widget",
    "Nothing",
)


def _patched(objects: list[KObject], patches: list[bool]) -> list[KObject]:
    """``objects``, some made kustomize patches (no object of their own for the index)."""
    return [
        replace(obj, patch=True) if patch else obj
        for obj, patch in zip(objects, patches + [False] * len(objects), strict=False)
    ]


@SETTINGS
@given(st.lists(_any_kind(), max_size=14), st.lists(st.booleans(), max_size=14))
def test_the_index_answers_every_look_up_as_its_objects_say(
    documents: list[tuple[str, dict[str, Any]]], patches: list[bool]
) -> None:
    objects = _patched(_load(documents), patches)
    index = Index(objects)
    kept = [obj for obj in objects if not obj.patch]
    assert list(index) == objects
    for kind in _KINDS:
        assert index.of_kind(kind) == [o for o in kept if o.kind == kind]
        for namespace in _NAMESPACES:
            assert index.of_kind(kind, namespace) == [
                o for o in kept if o.kind == kind and scope_namespace(o) == namespace
            ]
            for name in ("a", "b", "c"):
                named = [
                    o
                    for o in kept
                    if (o.kind, scope_namespace(o), o.name) == (kind, namespace, name)
                ]
                assert index.all_named(kind, namespace, name) == named
                assert index.get(kind, namespace, name) is (named[0] if named else None)
    templates = [o for o in kept if runs_pods(o) and not is_hook(o.data)]
    for obj in objects:
        assert (id(obj) in index._labels) == (obj in templates)
        assert index.labels_of(obj) == template_labels(obj)
    for namespace in _NAMESPACES:
        assert index.in_namespace(namespace) == [o for o in kept if scope_namespace(o) == namespace]
        here = [o for o in templates if scope_namespace(o) == namespace]
        assert index.templates_with(namespace, {}) == here
        for required in ({"app": "a"}, {"tier": "b"}, {"app": "a", "tier": "b"}, {"app": "0"}):
            assert index.templates_with(namespace, required) == [
                o for o in here if required.items() <= template_labels(o).items()
            ]
    # the same object defined twice: the lists the relations of folders read
    repeated = sorted(map(id, index._repeated))
    assert repeated == sorted(id(found) for found in index._by_key.values() if len(found) > 1)


def test_the_objects_of_a_kind_are_grouped_by_namespace_once_it_is_asked_about() -> None:
    """of_kind with a namespace groups that kind's objects (and no other kind's) when first
    asked, and answers from the groups after."""
    documents = [
        ("a/one.yaml", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": n}})
        for n in ("a", "b")
    ] + [
        ("b/one.yaml", {"apiVersion": "v1", "kind": kind, "metadata": meta})
        for kind, meta in (
            ("Service", {"name": "c", "namespace": "other"}),
            ("ConfigMap", {"name": "d"}),
            ("Namespace", {"name": "e", "namespace": "ignored"}),
        )
    ]
    objects = _load(documents)
    index = Index(objects)
    assert index._by_kind_ns == {}
    assert [o.name for o in index.of_kind("Service", "default")] == ["a", "b"]
    assert [*index._by_kind_ns] == ["Service"]
    assert [*index._by_kind_ns["Service"]] == ["default", "other"]
    assert [o.name for o in index.of_kind("Service", "other")] == ["c"]
    assert index.of_kind("Service", "nowhere") == []
    assert [*index._by_kind_ns] == ["Service"]
    assert [o.name for o in index.of_kind("Namespace", "")] == ["e"]
    assert index.of_kind("Namespace", "ignored") == []
    # a copy each time: changing it changes no later answer
    index.of_kind("Service", "default").clear()
    assert len(index.of_kind("Service", "default")) == 2
