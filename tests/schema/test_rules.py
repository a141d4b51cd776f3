"""Each schema rule fires at the right path on hand-written manifests."""

from __future__ import annotations

import pytest

from kpolicy.schema import (
    RULE_ENUM_INVALID,
    RULE_FORMAT_INVALID,
    RULE_REQUIRED_MISSING,
    RULE_TYPE_MISMATCH,
    RULE_UNKNOWN_FIELD,
    RULE_VALUE_INVALID,
    SchemaProblem,
    SchemaValidator,
)

from .support import found, load, problems

CONTAINER = ("spec", "template", "spec", "containers", 0)


def deployment(container: str = "", spec: str = "", pod: str = "") -> str:
    """A valid Deployment; the arguments add lines (already indented for their place)."""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  selector:
    matchLabels: {{app: shop}}
{spec}
  template:
    metadata:
      labels: {{app: shop}}
    spec:
{pod}
      containers:
      - name: shop
        image: shop:1.0
{container}
"""


def only(result: list[SchemaProblem]) -> SchemaProblem:
    assert len(result) == 1, result
    return result[0]


def test_valid_deployment_has_no_problem(validator: SchemaValidator) -> None:
    assert problems(validator, deployment()) == []


@pytest.mark.parametrize(
    ("typo", "path", "suggestion"),
    [
        ("  replica: 3", ("spec", "replica"), "replicas"),
        (
            "        ports: [{containerport: 80}]",
            (*CONTAINER, "ports", 0, "containerport"),
            "containerPort",
        ),
        ("        imagepullpolicy: Always", (*CONTAINER, "imagepullpolicy"), "imagePullPolicy"),
        ("        resource: {}", (*CONTAINER, "resource"), "resources"),
        ("        livenessprobe: {}", (*CONTAINER, "livenessprobe"), "livenessProbe"),
        ("        env_from: []", (*CONTAINER, "env_from"), "envFrom"),
    ],
)
def test_unknown_field_names_the_key_and_suggests(
    validator: SchemaValidator, typo: str, path: tuple[str | int, ...], suggestion: str
) -> None:
    text = deployment(spec=typo) if typo.startswith("  replica") else deployment(container=typo)
    result = [p for p in problems(validator, text) if p.rule == RULE_UNKNOWN_FIELD]
    problem = only(result)
    assert problem.path == path
    assert problem.at == "key"
    assert f'did you mean "{suggestion}"' in problem.message


def test_unknown_field_without_a_close_name_has_no_suggestion(validator: SchemaValidator) -> None:
    problem = only(problems(validator, deployment(spec="  frobnicate: true")))
    assert (problem.rule, problem.path, problem.at) == (
        RULE_UNKNOWN_FIELD,
        ("spec", "frobnicate"),
        "key",
    )
    assert problem.message == 'unknown field "frobnicate"'


def test_maps_and_free_form_objects_accept_any_key(validator: SchemaValidator) -> None:
    text = """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
      labels: {anything.example.com/goes: here}
      annotations: {whatever: "1"}
    data: {any-key: value, OTHER_KEY: value}
    """
    assert problems(validator, text) == []
    crd_default = """
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    spec:
      group: example.com
      scope: Namespaced
      names: {plural: widgets, kind: Widget}
      versions:
      - name: v1
        served: true
        storage: true
        schema:
          openAPIV3Schema:
            type: object
            x-kubernetes-preserve-unknown-fields: true
            properties:
              spec:
                type: object
                default: {any: thing, nested: {deep: 1}}
    """
    assert problems(validator, crd_default) == []


def test_every_error_is_reported(validator: SchemaValidator) -> None:
    text = deployment(
        spec="  replica: 3\n  paused: maybe",
        container="        imagePullPolicy: always\n        ports: [{containerPort: '80'}]",
        pod="      restartPolicy: Sometimes",
    )
    assert found(problems(validator, text)) == {
        (RULE_UNKNOWN_FIELD, ("spec", "replica"), "key"),
        (RULE_TYPE_MISMATCH, ("spec", "paused"), "value"),
        (RULE_ENUM_INVALID, (*CONTAINER, "imagePullPolicy"), "value"),
        (RULE_TYPE_MISMATCH, (*CONTAINER, "ports", 0, "containerPort"), "value"),
        (RULE_ENUM_INVALID, ("spec", "template", "spec", "restartPolicy"), "value"),
    }


def test_required_missing_names_the_parent(validator: SchemaValidator) -> None:
    text = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: shop}
    spec:
      template:
        spec:
          containers:
          - image: shop:1.0
            env: [{value: x}]
    """
    assert found(problems(validator, text)) == {
        (RULE_REQUIRED_MISSING, ("spec",), "key"),
        (RULE_REQUIRED_MISSING, (*CONTAINER,), "key"),
        (RULE_REQUIRED_MISSING, (*CONTAINER, "env", 0), "key"),
    }
    messages = sorted(p.message for p in problems(validator, text))
    assert messages == [
        'missing required field "name"',
        'missing required field "name"',
        'missing required field "selector"',
    ]


def test_required_field_given_null(validator: SchemaValidator) -> None:
    problem = only(
        problems(validator, deployment(container="        ports: [{containerPort: null}]"))
    )
    assert problem.rule == RULE_REQUIRED_MISSING
    assert problem.path == (*CONTAINER, "ports", 0, "containerPort")
    assert problem.at == "value"


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("yes", "yes/no/on/off/true/false"),
        ("on", "yes/no/on/off/true/false"),
        ("true", "yes/no/on/off/true/false"),
        ("0777", "quote it"),
        ("1.10", "quote it"),
        ("12", "quote it"),
    ],
)
def test_yaml_11_scalars_where_a_string_is_wanted(
    validator: SchemaValidator, value: str, hint: str
) -> None:
    text = deployment(container=f"        env:\n        - name: FLAG\n          value: {value}")
    problem = only(problems(validator, text))
    assert problem.rule == RULE_TYPE_MISMATCH
    assert problem.path == (*CONTAINER, "env", 0, "value")
    assert hint in problem.message


def test_yaml_11_scalars_in_labels_and_annotations(validator: SchemaValidator) -> None:
    text = """
    apiVersion: v1
    kind: Service
    metadata:
      name: api
      labels: {canary: no, tier: 3}
      annotations: {prometheus.io/scrape: true}
    spec:
      ports: [{port: 80}]
    """
    assert found(problems(validator, text)) == {
        (RULE_TYPE_MISMATCH, ("metadata", "labels", "canary"), "value"),
        (RULE_TYPE_MISMATCH, ("metadata", "labels", "tier"), "value"),
        (RULE_TYPE_MISMATCH, ("metadata", "annotations", "prometheus.io/scrape"), "value"),
    }


def test_quoted_number_where_an_integer_is_wanted(validator: SchemaValidator) -> None:
    problem = only(problems(validator, deployment(spec='  replicas: "3"')))
    assert (problem.rule, problem.path) == (RULE_TYPE_MISMATCH, ("spec", "replicas"))
    assert problem.message == 'expected an integer, got string "3": remove the quotes'


@pytest.mark.parametrize(
    ("port", "rule"),
    [
        ('"8080"', RULE_TYPE_MISMATCH),
        ("HTTP", RULE_TYPE_MISMATCH),
        ("web_port", RULE_TYPE_MISMATCH),
        ("a-very-long-port-name", RULE_TYPE_MISMATCH),
        ("70000", RULE_VALUE_INVALID),
    ],
)
def test_probe_port_given_as_a_string_that_is_not_a_name(
    validator: SchemaValidator, port: str, rule: str
) -> None:
    text = deployment(
        container=f"        readinessProbe:\n          httpGet: {{path: /, port: {port}}}"
    )
    problem = only(problems(validator, text))
    assert problem.rule == rule
    assert problem.path == (*CONTAINER, "readinessProbe", "httpGet", "port")


@pytest.mark.parametrize("port", ["http", "8080", "metrics-2"])
def test_probe_port_names_and_numbers_pass(validator: SchemaValidator, port: str) -> None:
    text = deployment(container=f"        readinessProbe:\n          tcpSocket: {{port: {port}}}")
    assert problems(validator, text) == []


def test_service_target_port(validator: SchemaValidator) -> None:
    text = """
    apiVersion: v1
    kind: Service
    metadata: {name: api}
    spec:
      selector: {app: api}
      ports:
      - {name: a, port: 80, targetPort: http}
      - {name: b, port: 81, targetPort: 8081}
      - {name: c, port: 82, targetPort: "8082"}
      - {name: d, port: 83, targetPort: 0}
      - {name: e, port: 84, targetPort: true}
    """
    assert found(problems(validator, text)) == {
        (RULE_TYPE_MISMATCH, ("spec", "ports", 2, "targetPort"), "value"),
        (RULE_TYPE_MISMATCH, ("spec", "ports", 4, "targetPort"), "value"),
    }


def test_enum_lists_the_allowed_values(validator: SchemaValidator) -> None:
    problem = only(
        problems(validator, deployment(container="        imagePullPolicy: IfNotPresnt"))
    )
    assert problem.rule == RULE_ENUM_INVALID
    assert problem.message == '"IfNotPresnt" is not a supported value: Always, IfNotPresent, Never'


def test_format_invalid_quantity(validator: SchemaValidator) -> None:
    text = deployment(container="        resources: {limits: {memory: 500mi, cpu: 2}}")
    problem = only(problems(validator, text))
    assert problem.rule == RULE_FORMAT_INVALID
    assert problem.path == (*CONTAINER, "resources", "limits", "memory")
    assert problem.at == "value"
    assert "Mi" in problem.message


def test_int32_overflow(validator: SchemaValidator) -> None:
    problem = only(problems(validator, deployment(spec="  replicas: 3000000000")))
    assert (problem.rule, problem.path) == (RULE_TYPE_MISMATCH, ("spec", "replicas"))


def test_secret_data_must_be_base64(validator: SchemaValidator) -> None:
    text = """
    apiVersion: v1
    kind: Secret
    metadata: {name: creds}
    data:
      good: aHVudGVyMg==
      wrapped: "aHVu\\ndGVyMg=="
      plain: hunter2
    stringData:
      plain: hunter2
    """
    problem = only(problems(validator, text))
    assert (problem.rule, problem.path) == (RULE_FORMAT_INVALID, ("data", "plain"))
    assert "stringData" in problem.message


def test_status_requirements_are_not_enforced(validator: SchemaValidator) -> None:
    text = """
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent}
    spec:
      selector: {matchLabels: {app: agent}}
      template:
        metadata: {labels: {app: agent}}
        spec:
          containers: [{name: agent, image: agent:1}]
    status: {conditions: [{}]}
    """
    assert problems(validator, text) == []
    unknown = load(text)
    unknown["status"]["bogus"] = 1
    assert found(validator.validate(unknown)) == {(RULE_UNKNOWN_FIELD, ("status", "bogus"), "key")}


def test_dates_and_non_string_keys_are_read_as_kubernetes_does(validator: SchemaValidator) -> None:
    text = """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: dates
      annotations: {released: 2024-05-01}
      labels: {1: one}
    data: {true: x}
    """
    assert problems(validator, text) == []


def test_problems_are_frozen(validator: SchemaValidator) -> None:
    problem = only(problems(validator, deployment(spec="  replica: 3")))
    with pytest.raises(AttributeError):
        problem.rule = "x"  # type: ignore[misc]
