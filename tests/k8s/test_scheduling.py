from __future__ import annotations

import copy

import pytest

from kpolicy.k8s import scheduling as s


def _node(
    name: str = "node-1",
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
) -> dict[str, object]:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or []},
    }


def _taint(key: str, effect: str, value: str = "") -> dict[str, str]:
    taint = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    return taint


GPU_NO_SCHEDULE = _taint("dedicated", "NoSchedule", "gpu")


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        # TestTolerationToleratesTaint
        (
            {"key": "foo", "operator": "Exists", "effect": "NoSchedule"},
            _taint("foo", "NoSchedule", "bar"),
            True,
        ),
        (
            {"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"},
            _taint("foo", "NoSchedule", "bar"),
            True,
        ),
        (
            {"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"},
            _taint("foo", "NoSchedule", "baz"),
            False,
        ),
        (
            {"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoExecute"},
            _taint("foo", "NoSchedule", "bar"),
            False,
        ),
        (
            {"key": "foo", "operator": "Exists", "effect": "NoSchedule"},
            _taint("bar", "NoSchedule"),
            False,
        ),
        # empty effect matches all effects
        ({"key": "foo", "operator": "Exists"}, _taint("foo", "NoExecute"), True),
        ({"key": "foo", "operator": "Exists"}, _taint("foo", "PreferNoSchedule"), True),
        # empty key with Exists matches every taint
        ({"operator": "Exists"}, _taint("anything", "NoExecute", "v"), True),
        ({"operator": "Exists", "effect": "NoSchedule"}, _taint("anything", "NoExecute"), False),
        # operator defaults to Equal
        ({"key": "foo", "value": "bar"}, _taint("foo", "NoSchedule", "bar"), True),
        ({"key": "foo"}, _taint("foo", "NoSchedule", "bar"), False),
        ({"key": "foo"}, _taint("foo", "NoSchedule"), True),
        ({"key": "foo", "operator": "Equal"}, _taint("foo", "NoSchedule"), True),
        # Lt / Gt compare taint value against toleration value
        ({"key": "gen", "operator": "Lt", "value": "5"}, _taint("gen", "NoSchedule", "3"), True),
        ({"key": "gen", "operator": "Lt", "value": "5"}, _taint("gen", "NoSchedule", "5"), False),
        ({"key": "gen", "operator": "Gt", "value": "5"}, _taint("gen", "NoSchedule", "7"), True),
        ({"key": "gen", "operator": "Gt", "value": "5"}, _taint("gen", "NoSchedule", "x"), False),
        ({"key": "gen", "operator": "Gt", "value": "x"}, _taint("gen", "NoSchedule", "7"), False),
        # unknown or wrong-cased operators tolerate nothing
        ({"key": "foo", "operator": "exists"}, _taint("foo", "NoSchedule"), False),
        ({"key": "foo", "operator": "In"}, _taint("foo", "NoSchedule"), False),
        # hostile input
        (None, _taint("foo", "NoSchedule"), False),
        ({"key": "foo", "operator": "Exists"}, None, False),
        (["foo"], ["bar"], False),
        ({"key": 1, "operator": "Exists"}, _taint("foo", "NoSchedule"), True),
    ],
)
def test_toleration_tolerates_taint(toleration: object, taint: object, expected: bool) -> None:
    assert s.toleration_tolerates_taint(toleration, taint) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("taint", "rendered"),
    [
        (_taint("dedicated", "NoSchedule", "gpu"), "dedicated=gpu:NoSchedule"),
        (
            _taint("node.kubernetes.io/not-ready", "NoExecute"),
            "node.kubernetes.io/not-ready:NoExecute",
        ),
    ],
)
def test_taint_str(taint: dict[str, str], rendered: str) -> None:
    assert s.taint_str(taint) == rendered


def test_find_untolerated_taint() -> None:
    taints = [_taint("a", "PreferNoSchedule"), _taint("b", "NoSchedule"), _taint("c", "NoExecute")]
    assert s.find_untolerated_taint([], taints) == taints[1]
    assert s.find_untolerated_taint([{"key": "b", "operator": "Exists"}], taints) == taints[2]
    assert s.find_untolerated_taint([], taints, effects=("NoExecute",)) == taints[2]
    assert s.find_untolerated_taint([{"operator": "Exists"}], taints) is None
    assert s.find_untolerated_taint([], [_taint("a", "PreferNoSchedule")]) is None


@pytest.mark.parametrize(
    ("tolerations", "taints"),
    [(None, None), ("x", 3), ([None, 1], [None, "t"]), ({"a": 1}, {"b": 2})],
)
def test_find_untolerated_taint_hostile(tolerations: object, taints: object) -> None:
    assert s.find_untolerated_taint(tolerations, taints) is None


def test_daemonset_added_tolerations() -> None:
    added = s.daemonset_added_tolerations({})
    assert added == [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
    ]
    with_host_network = s.daemonset_added_tolerations({"hostNetwork": True})
    assert with_host_network[-1] == {
        "key": "node.kubernetes.io/network-unavailable",
        "operator": "Exists",
        "effect": "NoSchedule",
    }
    assert len(with_host_network) == 7


@pytest.mark.parametrize("pod_spec", [None, [], "x", {"hostNetwork": "true"}, {"hostNetwork": 1}])
def test_daemonset_added_tolerations_hostile(pod_spec: object) -> None:
    assert len(s.daemonset_added_tolerations(pod_spec)) == 6


def test_daemon_pod_tolerations_replaces_matching_and_keeps_others() -> None:
    spec = {
        "tolerations": [
            {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ]
    }
    before = copy.deepcopy(spec)
    result = s.daemon_pod_tolerations(spec)
    assert spec == before
    assert result[0] == spec["tolerations"][0]
    # the template's tolerationSeconds is dropped: daemon pods are never evicted for not-ready
    assert result[1] == {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
    }
    assert len(result) == 7


def test_daemon_pod_tolerations_identical_is_not_duplicated() -> None:
    spec = {
        "tolerations": [
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}
        ]
    }
    result = s.daemon_pod_tolerations(spec)
    assert len(result) == 6


@pytest.mark.parametrize(
    ("labels", "selector", "expected"),
    [
        ({"disktype": "ssd"}, {"disktype": "ssd"}, True),
        ({"disktype": "ssd", "zone": "a"}, {"disktype": "ssd"}, True),
        ({"disktype": "hdd"}, {"disktype": "ssd"}, False),
        ({}, {"disktype": "ssd"}, False),
        ({"disktype": "ssd"}, {}, True),
        ({"disktype": "ssd"}, None, True),
        ({"x": ""}, {"x": ""}, True),
        ({}, {"x": ""}, False),
        (None, {"a": "b"}, False),
        ({"a": "b"}, "a=b", True),
        ({"a": "1"}, {"a": 1}, False),
    ],
)
def test_node_selector_matches(labels: object, selector: object, expected: bool) -> None:
    assert s.node_selector_matches(labels, selector) is expected


def _required(*terms: object) -> dict[str, object]:
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
        }
    }


def _req(key: str, operator: str, *values: str) -> dict[str, object]:
    requirement: dict[str, object] = {"key": key, "operator": operator}
    if values:
        requirement["values"] = list(values)
    return requirement


NODE = _node("host-1", {"zone": "a", "gen": "5", "gpu": "true", "weird": "x"})


@pytest.mark.parametrize(
    ("affinity", "expected"),
    [
        (None, True),
        ({}, True),
        ({"nodeAffinity": {}}, True),
        ({"podAntiAffinity": {"x": 1}}, True),
        ("garbage", True),
        ({"nodeAffinity": "garbage"}, True),
        # required with no terms, or only empty terms, matches nothing
        (_required(), False),
        (_required({}), False),
        (_required({"matchExpressions": []}), False),
        ({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}}, False),
        (
            {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": "x"}
                }
            },
            False,
        ),
        (_required({"matchExpressions": [_req("zone", "In", "a", "b")]}), True),
        (_required({"matchExpressions": [_req("zone", "In", "b")]}), False),
        (_required({"matchExpressions": [_req("zone", "NotIn", "b")]}), True),
        (_required({"matchExpressions": [_req("missing", "NotIn", "b")]}), True),
        (_required({"matchExpressions": [_req("gpu", "Exists")]}), True),
        (_required({"matchExpressions": [_req("gpu", "DoesNotExist")]}), False),
        (_required({"matchExpressions": [_req("gen", "Gt", "4")]}), True),
        (_required({"matchExpressions": [_req("gen", "Gt", "5")]}), False),
        (_required({"matchExpressions": [_req("gen", "Lt", "6")]}), True),
        (_required({"matchExpressions": [_req("weird", "Lt", "6")]}), False),
        (_required({"matchExpressions": [_req("missing", "Gt", "1")]}), False),
        # expressions in a term are ANDed
        (
            _required({"matchExpressions": [_req("zone", "In", "a"), _req("gpu", "DoesNotExist")]}),
            False,
        ),
        # terms are ORed
        (
            _required(
                {"matchExpressions": [_req("zone", "In", "b")]},
                {"matchExpressions": [_req("gpu", "Exists")]},
            ),
            True,
        ),
        # a term that does not parse never matches, but other terms still can
        (_required({"matchExpressions": [_req("zone", "Foo", "a")]}), False),
        (_required({"matchExpressions": [_req("zone", "In")]}), False),
        (_required({"matchExpressions": [_req("gpu", "Exists", "true")]}), False),
        (_required({"matchExpressions": [_req("gen", "Gt", "4", "5")]}), False),
        (_required({"matchExpressions": [_req("gen", "Gt", "four")]}), False),
        (_required({"matchExpressions": [_req("gen", "Gt", "-1")]}), False),  # not a label value
        (_required({"matchExpressions": [_req("bad key", "Exists")]}), False),
        (_required({"matchExpressions": [None]}), False),
        (
            _required(
                {"matchExpressions": [_req("zone", "Foo")]},
                {"matchExpressions": [_req("zone", "In", "a")]},
            ),
            True,
        ),
        # matchFields on metadata.name
        (_required({"matchFields": [_req("metadata.name", "In", "host-1")]}), True),
        (_required({"matchFields": [_req("metadata.name", "In", "host-2")]}), False),
        (_required({"matchFields": [_req("metadata.name", "NotIn", "host-2")]}), True),
        (_required({"matchFields": [_req("metadata.name", "In", "host-1", "host-2")]}), False),
        (_required({"matchFields": [_req("metadata.name", "Exists")]}), False),
        (
            _required(
                {
                    "matchFields": [_req("metadata.name", "In", "host-1")],
                    "matchExpressions": [_req("zone", "In", "b")],
                }
            ),
            False,
        ),
    ],
)
def test_node_affinity_matches(affinity: object, expected: bool) -> None:
    assert s.node_affinity_matches(NODE, affinity) is expected


def test_match_fields_ignored_for_a_node_without_name() -> None:
    nameless: dict[str, object] = {"metadata": {"labels": {}}}
    assert s.node_affinity_matches(
        nameless, _required({"matchFields": [_req("metadata.name", "In", "x")]})
    )


@pytest.mark.parametrize(
    ("node", "pod_spec", "expected"),
    [
        (_node(), {}, (True, "")),
        (_node(labels={"disktype": "ssd"}), {"nodeSelector": {"disktype": "ssd"}}, (True, "")),
        (
            _node(labels={"disktype": "hdd"}),
            {"nodeSelector": {"disktype": "ssd"}},
            (False, "node selector disktype=ssd does not match"),
        ),
        (
            _node(taints=[GPU_NO_SCHEDULE]),
            {},
            (False, "taint dedicated=gpu:NoSchedule not tolerated"),
        ),
        (
            _node(taints=[GPU_NO_SCHEDULE]),
            {
                "tolerations": [
                    {
                        "key": "dedicated",
                        "operator": "Equal",
                        "value": "gpu",
                        "effect": "NoSchedule",
                    }
                ]
            },
            (True, ""),
        ),
        # PreferNoSchedule never blocks a daemon pod
        (_node(taints=[_taint("dedicated", "PreferNoSchedule", "gpu")]), {}, (True, "")),
        # the tolerations the controller adds
        (_node(taints=[_taint("node.kubernetes.io/not-ready", "NoExecute")]), {}, (True, "")),
        (_node(taints=[_taint("node.kubernetes.io/unschedulable", "NoSchedule")]), {}, (True, "")),
        (
            _node(taints=[_taint("node.kubernetes.io/memory-pressure", "NoSchedule")]),
            {},
            (True, ""),
        ),
        (
            _node(taints=[_taint("node.kubernetes.io/network-unavailable", "NoSchedule")]),
            {},
            (False, "taint node.kubernetes.io/network-unavailable:NoSchedule not tolerated"),
        ),
        (
            _node(taints=[_taint("node.kubernetes.io/network-unavailable", "NoSchedule")]),
            {"hostNetwork": True},
            (True, ""),
        ),
        # control-plane nodes are tainted
        (
            _node(taints=[_taint("node-role.kubernetes.io/control-plane", "NoSchedule")]),
            {},
            (False, "taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"),
        ),
        (
            _node(taints=[_taint("node-role.kubernetes.io/control-plane", "NoSchedule")]),
            {"tolerations": [{"operator": "Exists"}]},
            (True, ""),
        ),
        # spec.nodeName pins the pod
        (_node("a"), {"nodeName": "a"}, (True, "")),
        (_node("a"), {"nodeName": "b"}, (False, "spec.nodeName b pins the pod to another node")),
        (
            _node("a", {"zone": "x"}),
            {"affinity": _required({"matchExpressions": [_req("zone", "In", "y")]})},
            (False, "required node affinity does not match"),
        ),
        (
            _node("a", {"zone": "x"}),
            {"affinity": _required({"matchExpressions": [_req("zone", "In", "x")]})},
            (True, ""),
        ),
        # hostile input: treated as an empty node / empty spec
        ({}, {}, (True, "")),
        ({"metadata": "x", "spec": []}, {"tolerations": "x", "nodeSelector": []}, (True, "")),
        (
            {"spec": {"taints": [None, "x", GPU_NO_SCHEDULE]}},
            {},
            (False, "taint dedicated=gpu:NoSchedule not tolerated"),
        ),
    ],
)
def test_daemon_should_run(
    node: dict[str, object], pod_spec: dict[str, object], expected: tuple[bool, str]
) -> None:
    assert s.daemon_should_run(node, pod_spec) == expected


def test_daemon_should_run_hostile_top_level() -> None:
    assert s.daemon_should_run(None, None) == (True, "")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("taints", "should_continue_running"),
    [
        ([GPU_NO_SCHEDULE], True),
        ([_taint("dedicated", "NoExecute", "gpu")], False),
        ([GPU_NO_SCHEDULE, _taint("evict", "NoExecute")], False),
    ],
)
def test_daemon_placement_continue_running(
    taints: list[dict[str, str]], should_continue_running: bool
) -> None:
    placement = s.daemon_placement(_node(taints=taints), {})
    assert not placement.should_run
    assert placement.should_continue_running is should_continue_running


def test_daemon_placement_does_not_mutate_input() -> None:
    spec = {"tolerations": [{"key": "a", "operator": "Exists"}], "nodeSelector": {"a": "b"}}
    node = _node(labels={"a": "b"}, taints=[_taint("a", "NoSchedule")])
    before = (copy.deepcopy(spec), copy.deepcopy(node))
    assert s.daemon_placement(node, spec).should_run
    assert (spec, node) == before
