from kpolicy.features import gate_enabled, gate_reason


def test_defaults_by_release() -> None:
    assert not gate_enabled("MaxUnavailableStatefulSet", "1.34", None)
    assert gate_enabled("MaxUnavailableStatefulSet", "1.35", None)
    assert gate_enabled("StatefulSetStartOrdinal", "1.32", None)
    assert not gate_enabled("NoSuchGate", "1.37", None)


def test_explicit_setting_wins() -> None:
    assert gate_enabled("MaxUnavailableStatefulSet", "1.33", {"MaxUnavailableStatefulSet": True})
    assert not gate_enabled("MaxUnavailableStatefulSet", "1.37", {"MaxUnavailableStatefulSet": False})
    assert "turned on" in gate_reason("MaxUnavailableStatefulSet", "1.33", {"MaxUnavailableStatefulSet": True})
    assert "off by default in Kubernetes 1.34" in gate_reason("MaxUnavailableStatefulSet", "1.34", {})
