"""Functions that take YAML-shaped ``object`` input never raise, whatever the input."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
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


# Python's int() refuses a text of more than 4,300 digits (ValueError); a manifest may hold one
HUGE = "1" * 5000


def test_numbers_of_thousands_of_digits_are_out_of_int64_range() -> None:
    assert intstr.atoi(HUGE) is None and intstr.atoi("-" + HUGE) is None
    assert not intstr.is_percent(HUGE + "%")
    # strconv.Atoi's answer past int64 is the largest int64, which getPercentValue keeps
    assert intstr.percent_value(HUGE + "%") == 2**63 - 1
    assert intstr.percent_value("0" * 5000 + "7%") == 7
    assert intstr.is_not_more_than_100_percent(HUGE + "%")
    assert intstr.may_fit_int64("-000" + "9" * 19) and not intstr.may_fit_int64("1" + "0" * 19)


def test_a_cron_field_of_thousands_of_digits_is_out_of_range() -> None:
    from kpolicy.k8s import cron

    try:
        cron.parse_standard(f"{HUGE} * * * *")
    except cron.CronError as exc:
        assert "value out of range" in str(exc)
    else:  # pragma: no cover - the assertion says what went wrong
        raise AssertionError("accepted")


def test_rollout_values_of_thousands_of_digits_are_findings_not_internal_errors(
    tmp_path: Path,
) -> None:
    from tests.helpers import cli

    (tmp_path / "d.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n"
        f'  strategy: {{rollingUpdate: {{maxSurge: "{HUGE}%", maxUnavailable: "{HUGE}"}}}}\n'
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: 'web:1.0'}]}\n"
    )
    result = cli("lint", "--no-cache", "--format", "json", "d.yaml", cwd=tmp_path)
    rules = [d["rule"] for d in json.loads(result.stdout)["diagnostics"]]
    assert "internal-error" not in rules and "rolling-update-invalid" in rules, rules


def test_a_repository_module_is_not_imported(tmp_path: Path) -> None:
    """``python -m kpolicy`` in a repository's folder: a module there named as one kpolicy
    imports late (tzdata, for a CronJob's timeZone) is not imported, and the run is clean."""
    from tests.helpers import run_process

    ran = tmp_path / "ran"
    (tmp_path / "tzdata.py").write_text(f"open({str(ran)!r}, 'w').close()\n", encoding="utf-8")
    (tmp_path / "cronjob.yaml").write_text(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n"
        '  schedule: "0 3 * * *"\n  timeZone: Europe/Paris\n  jobTemplate:\n    spec:\n'
        "      template:\n        spec:\n          restartPolicy: Never\n          containers:\n"
        "            - name: job\n              image: busybox:1.36\n",
        encoding="utf-8",
    )
    result = run_process("lint", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    assert not ran.exists()
    assert "internal-error" not in result.stdout
    assert result.returncode in (0, 1), result.stderr


def test_an_index_of_thousands_of_digits_is_not_an_integer() -> None:
    """strconv.Atoi refuses an index past int64 (parseIndexInterval): a finding, where int()
    of more than 4,300 digits raised and the rule failed."""
    from tests.helpers import lint_text, of_rule

    huge = "1" * 5000
    text = (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: indexed\nspec:\n"
        "  completionMode: Indexed\n  completions: 3\n  parallelism: 3\n  successPolicy:\n"
        f'    rules:\n      - succeededIndexes: "0,{huge}"\n  template:\n    spec:\n'
        "      restartPolicy: Never\n      containers:\n        - name: job\n"
        "          image: busybox:1.36\n"
    )
    result = lint_text(text)
    assert of_rule(result, "internal-error") == []
    (found,) = of_rule(result, "job-success-policy-invalid")
    assert "is not an integer" in found.message
    assert found.span.line == 11
