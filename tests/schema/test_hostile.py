"""Hostile documents never make the validator raise."""

from __future__ import annotations

import datetime
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.schema import SchemaValidator
from tests.helpers import examples

from .support import load

KINDS = [
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("v1", "Service"),
    ("v1", "Pod"),
    ("v1", "Secret"),
    ("batch/v1", "CronJob"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
]
FIELD_NAMES = [
    "spec",
    "metadata",
    "template",
    "containers",
    "ports",
    "port",
    "targetPort",
    "resources",
    "limits",
    "requests",
    "memory",
    "env",
    "value",
    "selector",
    "matchLabels",
    "labels",
    "data",
    "replicas",
    "type",
    "protocol",
    "maxSurge",
    "schema",
    "openAPIV3Schema",
    "versions",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.dates(),
    st.binary(max_size=8),
)
keys = st.one_of(
    st.sampled_from(FIELD_NAMES), st.text(max_size=6), st.integers(), st.booleans(), st.none()
)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=40,
)


@settings(
    max_examples=examples(full=300, quick=100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(KINDS),
    body=st.dictionaries(st.sampled_from(FIELD_NAMES), trees, max_size=5),
)
def test_random_documents_never_raise(kind: tuple[str, str], body: dict[str, Any]) -> None:
    document = {"apiVersion": kind[0], "kind": kind[1], **body}
    for problem in SchemaValidator.for_version("1.37").validate(document):
        assert problem.at in ("value", "key")
        assert isinstance(problem.message, str) and problem.message


def test_special_values() -> None:
    validator = SchemaValidator.for_version("1.37")
    pod = load(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - name: c
            image: i
        """
    )
    container = pod["spec"]["containers"][0]
    for value in [
        math.nan,
        math.inf,
        -math.inf,
        10**100,
        -(10**100),
        b"\x00",
        datetime.date(2024, 1, 1),
    ]:
        container["resources"] = {"limits": {"cpu": value}}
        container["ports"] = [{"containerPort": value}]
        pod["spec"]["replicas"] = value
        validator.validate(pod)


def test_recursive_and_aliased_documents() -> None:
    validator = SchemaValidator.for_version("1.37")
    recursive: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    recursive["data"] = recursive
    assert validator.validate(recursive) == []
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    assert validator.validate({"apiVersion": "v1", "kind": "ConfigMap", "data": {"x": deep}}) == []
    # a billion-laughs style document: small as a graph, huge when expanded
    layer: Any = ["lol"] * 10
    for _ in range(9):
        layer = [layer] * 10
    assert validator.validate({"apiVersion": "v1", "kind": "ConfigMap", "data": {"x": layer}}) == []


def test_not_a_mapping_and_odd_identifiers() -> None:
    validator = SchemaValidator.for_version("1.37")
    documents: list[object] = [
        None,
        [],
        "text",
        3,
        {"apiVersion": ["v1"], "kind": "Pod"},
        {"apiVersion": "v1", "kind": None},
    ]
    for document in documents:
        assert validator.validate(document) == []
    assert not validator.has_schema(None, "Pod")
