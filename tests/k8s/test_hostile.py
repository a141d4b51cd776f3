"""Functions that take YAML-shaped ``object`` input never raise, whatever the input."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.k8s import defaults, intstr, quantity, scheduling, selector, validation
from tests.helpers import examples

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
KEYS = st.sampled_from(
    [
        "matchLabels",
        "matchExpressions",
        "key",
        "operator",
        "values",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
        "matchFields",
        "metadata",
        "labels",
        "name",
        "spec",
        "taints",
        "effect",
        "value",
        "tolerations",
        "nodeSelector",
        "nodeName",
        "hostNetwork",
        "affinity",
        "strategy",
        "updateStrategy",
        "rollingUpdate",
        "type",
        "In",
        "Exists",
        "NoSchedule",
    ]
) | st.text(max_size=6)
YAMLISH = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=examples(full=300, quick=100), deadline=None)
@given(YAMLISH)
def test_selector_and_validation_never_raise(value: Any) -> None:
    validation.validate_label_selector(value)
    selector.Selector.from_label_selector(value)
    selector.Selector.from_map(value)
    selector.labels_str(value)
    for check in (
        validation.is_dns1123_label,
        validation.is_dns1123_subdomain,
        validation.is_dns1035_label,
        validation.is_qualified_name,
        validation.is_valid_label_value,
        validation.is_valid_port_name,
        validation.is_valid_port_num,
        validation.is_env_var_name,
        validation.is_strict_env_var_name,
        validation.is_c_identifier,
        validation.is_valid_percent,
    ):
        assert isinstance(check(value), list)


@settings(max_examples=examples(full=300, quick=100), deadline=None)
@given(YAMLISH, YAMLISH)
def test_scheduling_never_raises(node: Any, pod_spec: Any) -> None:
    scheduling.daemon_placement(node, pod_spec)
    scheduling.node_affinity_matches(node, pod_spec)
    scheduling.node_selector_matches(node, pod_spec)
    scheduling.find_untolerated_taint(node, pod_spec)
    scheduling.daemon_pod_tolerations(pod_spec)
    scheduling.toleration_tolerates_taint(node, pod_spec)


@settings(max_examples=examples(full=300, quick=100), deadline=None)
@given(YAMLISH)
def test_intstr_quantity_defaults_never_raise_unexpectedly(value: Any) -> None:
    intstr.validate_int_or_percent(value)
    intstr.percent_value(value)
    intstr.is_percent(value)
    intstr.is_not_more_than_100_percent(value)
    with contextlib.suppress(ValueError):
        intstr.scaled_value(value, 10, True)
    quantity.parse_quantity(value)
    for kind in ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"):
        defaults.apps_v1_defaults(kind, value)
        defaults.apps_v1_defaults(kind, {"spec": value, "strategy": value, "updateStrategy": value})


@settings(max_examples=examples(full=500, quick=150), deadline=None)
@given(st.text(alphabet="0123456789.+-eEinumkKMGTP ", max_size=14))
def test_quantity_strings_never_raise(text: str) -> None:
    quantity.parse_quantity_string(text)
