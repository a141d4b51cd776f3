from kpolicy.features import gate_enabled, gate_reason


def test_defaults_by_release() -> None:
    assert not gate_enabled("MaxUnavailableStatefulSet", "1.34", None)
    assert gate_enabled("MaxUnavailableStatefulSet", "1.35", None)
    assert gate_enabled("StatefulSetStartOrdinal", "1.32", None)
    assert not gate_enabled("NoSuchGate", "1.37", None)


def test_explicit_setting_wins() -> None:
    assert gate_enabled("MaxUnavailableStatefulSet", "1.33", {"MaxUnavailableStatefulSet": True})
    assert not gate_enabled(
        "MaxUnavailableStatefulSet", "1.37", {"MaxUnavailableStatefulSet": False}
    )
    assert "turned on" in gate_reason(
        "MaxUnavailableStatefulSet", "1.33", {"MaxUnavailableStatefulSet": True}
    )
    assert "off by default in Kubernetes 1.34" in gate_reason(
        "MaxUnavailableStatefulSet", "1.34", {}
    )


def test_defaults_of_the_oldest_supported_releases() -> None:
    # pkg/features/kube_features.go of 1.29, 1.30 and 1.31
    for version in ("1.29", "1.30", "1.31"):
        assert not gate_enabled("MaxUnavailableStatefulSet", version, None), version
        assert gate_enabled("StatefulSetStartOrdinal", version, None), version
        assert not gate_enabled("RelaxedEnvironmentVariableValidation", version, None), version
        assert not gate_enabled("TaintTolerationComparisonOperators", version, None), version
    assert gate_enabled("RelaxedEnvironmentVariableValidation", "1.32", None)
