"""The declarative check engine (kpolicy/policy.py): targets, match, positions, messages."""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.model import Severity
from kpolicy.policy import compiled, declarative_check, render_message
from kpolicy.ruledefs import Example, RuleDef, parse_rule_file
from tests.helpers import examples, lint_text, of_rule

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  labels: {tier: frontend}
  annotations: {example.com/owner: team-a}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      initContainers:
        - name: init
          image: busybox:1.36
      containers:
        - name: web
          image: docker.io/nginx:1.27
        - name: sidecar
          image: registry.example.com/proxy:1.0
          securityContext:
            privileged: true
      ephemeralContainers:
        - name: debug
          image: busybox:1.36
"""


def policy(tmp_path: Path, text: str, name: str = "p") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"id: {name}\ntitle: A test policy\nseverity: warning\nrationale: for the tests.\n"
        f"remediation: Fix it.\nexamples:\n  - good: 'a: 1'\n{text}"
    )
    return path


def run(tmp_path: Path, text: str, manifest: str = DEPLOYMENT) -> list[tuple[int, int, str]]:
    path = policy(tmp_path, text)
    result = lint_text(manifest, policies=[path], select=["p"])
    assert not result.errors
    return [(d.span.line, d.span.column, d.message) for d in of_rule(result, "p")]


def test_container_target_points_at_the_failing_value(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """\
target: container
message: "container {container!r} of {kind} {name} uses a foreign image"
check:
  properties:
    image: {pattern: '^registry\\.example\\.com/'}
""",
    )
    assert found == [
        (
            22,
            18,
            "container 'web' of Deployment web uses a foreign image: image "
            "'docker.io/nginx:1.27' does not match '^registry\\.example\\.com/'",
        ),
    ]


def test_init_and_ephemeral_containers_are_opt_in(tmp_path: Path) -> None:
    check = "check:\n  properties:\n    image: {pattern: '^registry'}\n"
    assert [f[0] for f in run(tmp_path, "target: container\n" + check)] == [22]
    lines = [f[0] for f in run(tmp_path, "target: container\ncontainers: {init: true}\n" + check)]
    assert lines == [19, 22]
    both = "target: container\ncontainers: {init: true, ephemeral: true}\n" + check
    assert [f[0] for f in run(tmp_path, both)] == [19, 22, 29]


def test_pod_spec_target_and_false_subschema(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        "target: podSpec\nmessage: no host network\ncheck:\n"
        "  properties:\n    hostNetwork: false\n",
    )
    assert found == [(16, 20, "no host network: hostNetwork is not allowed")]


def test_pod_spec_of_cronjob_and_pod(tmp_path: Path) -> None:
    cronjob = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          hostPID: true
          containers: [{name: c, image: c}]
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostPID: true
  containers: [{name: c, image: c}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
"""
    found = run(
        tmp_path, "target: podSpec\ncheck:\n  properties:\n    hostPID: {const: false}\n", cronjob
    )
    assert [(line, col) for line, col, _ in found] == [(10, 20), (17, 12)]
    assert found[0][2].endswith("hostPID is true, expected false")


def test_required_points_at_the_parent_key(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        "target: object\ncheck:\n  properties:\n    spec:\n"
        "      required: [minReadySeconds, paused]\n",
    )
    # one finding for the mapping that should hold both keys, on its key
    assert found == [(8, 1, "A test policy: spec.minReadySeconds, spec.paused are missing")]


def test_required_in_a_container_points_at_the_container(tmp_path: Path) -> None:
    found = run(tmp_path, "target: container\ncheck:\n  required: [livenessProbe]\n")
    assert [(line, col) for line, col, _ in found] == [(21, 11), (23, 11)]
    assert found[0][2] == "A test policy: livenessProbe is missing"


def test_metadata_target_and_missing_metadata(tmp_path: Path) -> None:
    text = (
        "target: metadata\ncheck:\n  required: [labels]\n  properties:\n"
        "    labels: {required: [team]}\n"
    )
    found = run(tmp_path, text)
    assert found == [(6, 3, "A test policy: metadata.labels.team is missing")]
    no_metadata = "apiVersion: v1\nkind: ConfigMap\ndata: {}\n"
    found = run(tmp_path, text, no_metadata)
    assert found == [(2, 7, "A test policy: metadata.labels is missing")]


def test_object_target_root_failure_points_at_kind(tmp_path: Path) -> None:
    found = run(tmp_path, "check:\n  required: [status]\n")
    assert found == [(2, 7, "A test policy: status is missing")]


@pytest.mark.parametrize(
    ("match", "hits"),
    [
        ("namespaces: [prod]", 1),
        ("namespaces: ['pr*']", 1),
        ("namespaces: [staging]", 0),
        ("names: ['w?b']", 1),
        ("names: [api]", 0),
        ("labels: {tier: frontend}", 1),
        ("labels: {tier: backend}", 0),
        ("annotations: [example.com/owner]", 1),
        ("annotations: [example.com/missing]", 0),
        ("{namespaces: [prod], names: [api]}", 0),
    ],
)
def test_match(tmp_path: Path, match: str, hits: int) -> None:
    text = (
        f"match: {match if match.startswith('{') else '{' + match + '}'}\n"
        "check:\n  properties:\n    spec: {properties: {replicas: {minimum: 2}}}\n"
    )
    assert len(run(tmp_path, text)) == hits


def test_match_namespace_default_and_cluster_scoped(tmp_path: Path) -> None:
    text = "match: {namespaces: [default]}\ncheck:\n  required: [spec]\n"
    unnamespaced = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    assert len(run(tmp_path, text, unnamespaced)) == 1  # no namespace means default
    cluster = "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n"
    assert run(tmp_path, text, cluster) == []


def test_any_of_names_each_alternative(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """\
target: container
check:
  anyOf:
    - required: [livenessProbe]
    - properties: {image: {pattern: '^registry'}}
""",
    )
    assert found[0][2] == (
        "A test policy: container 'web' matches none of the alternatives (livenessProbe is "
        "missing; image 'docker.io/nginx:1.27' does not match '^registry')"
    )


@pytest.mark.parametrize(
    ("schema", "detail"),
    [
        ("{properties: {replicas: {type: string}}}", "replicas is a number, expected string"),
        ("{properties: {replicas: {enum: [3, 5]}}}", "replicas 1 is not one of 3, 5"),
        ("{properties: {replicas: {maximum: 0}}}", "replicas 1 is more than the maximum 0"),
        ("{properties: {replicas: {exclusiveMinimum: 1}}}", "replicas 1 is not more than 1"),
        ("{properties: {replicas: {multipleOf: 2}}}", "replicas 1 is not a multiple of 2"),
        ("{properties: {selector: {maxProperties: 0}}}", "selector has more than 0 keys"),
        ("{properties: {replicas: {not: {const: 1}}}}", "replicas 1 is not allowed"),
        (
            "{additionalProperties: false, properties: {replicas: true, selector: true}}",
            "template is not allowed",
        ),
    ],
)
def test_details(tmp_path: Path, schema: str, detail: str) -> None:
    found = run(tmp_path, f"check:\n  properties:\n    spec: {schema}\n")
    assert [f[2] for f in found] == [f"A test policy: spec.{detail}"]


def test_message_placeholders_are_safe() -> None:
    values = {"name": "web", "value": "'x'", "detail": "image 'x' does not match 'y'"}
    assert (
        render_message("{name} {missing} {0} {name.upper} {value!r}", values, "d")
        == "web {missing} {0} {name.upper} \"'x'\": d"
    )
    assert render_message("broken {name", values, "d") == "broken {name: d"
    assert render_message("{name}: {detail}", values, "d") == "web: image 'x' does not match 'y'"
    assert render_message("{name:d}", values, "d") == "{name:d}: d"
    assert render_message("", values, "d") == "d"
    # a message that names the failing node itself says what failed: no suffix
    assert (
        render_message("{name} sets {field}: {value}", {**values, "field": "x"}, "d")
        == "web sets x: 'x'"
    )
    assert render_message("{field!r} is set", {"field": "x"}, "d") == "'x' is set"


def test_a_policys_message_cannot_make_a_huge_string() -> None:
    """A policy file in the linted repository writes the message's template: a width or
    precision over a thousand, or a text past 64 KiB (many placeholders of a large value), is
    used as plain text rather than made (``{name:>2000000000}`` made a string of 2 GB);
    widths up to the bound are filled as before."""
    import tracemalloc

    values = {"name": "web", "value": "x" * 1000, "width": "99999999"}
    tracemalloc.start()
    try:
        for template in (
            "{name:>2000000000}",
            "{name:.2000000000}",
            "{name:{width}}",
            "{name:*<0002000000000}",
            "{name:1001}",
            "{value}" * 70,
        ):
            assert render_message(template, values, "d") == f"{template}: d"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert render_message("{name:*>1000}", values, "") == "*" * 997 + "web"
    assert render_message("{name:9>8}|{name:.2}", values, "") == "99999web|we"
    assert render_message("{value}" * 60, values, "") == "x" * 60_000


def test_a_policy_with_a_huge_width_reports_its_template(tmp_path: Path) -> None:
    """End to end: the finding of such a policy carries its template as written."""
    text = (
        "message: 'image {value:>2000000000}'\ntarget: container\n"
        "check:\n  properties:\n    image: {pattern: '^registry'}\n"
    )
    messages = {m for _, _, m in run(tmp_path, text)}
    assert messages and all(m.startswith("image {value:>2000000000}") for m in messages)


class _SafeFormatter(string.Formatter):
    """What render_message filled a template with before (kpolicy.policy._fill fills it
    without importing string): an unknown field name stays as written."""

    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if field_name in kwargs:
            return kwargs[field_name], field_name
        return "{" + field_name + "}", field_name


def _rendered_as_before(template: str, values: Mapping[str, Any], detail: str) -> str:
    try:
        formatter = _SafeFormatter()
        text = formatter.vformat(template, (), values)
        named = {name for _, name, _, _ in formatter.parse(template) if name}
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        text, named = template, set()
    text = text.strip()
    if named & {"detail", "field"} or not detail:
        return text
    return f"{text}: {detail}" if text else detail


# the pieces of a template: text, braces, fields known and not, conversions, format specs
# (nested ones among them), numbered and automatic fields
_PIECE_LIST = [
    "a ", " ", "{", "}", "{{", "}}", "{name}", "{value}", "{detail}", "{field}", "{namespace}",
    "{missing}", "{}", "{0}", "{1}", "{name.upper}", "{name[0]}", "{value!r}", "{value!s}",
    "{value!a}", "{value!x}", "{value!}", "{name:>8}", "{name:d}", "{namespace:>4}",
    "{name:{width}}", "{name:{}}", "{name:{0}}", "{name:{a:{b}}}", "{name:{a:{b:{c}}}}", "{:",
    "{name!r:^9}", "é{kind}", "{kind!a}", "{ name }", "{²}", "{width}", "{container:",
    "{name:{a:{b:x}}}", "{0:{}}", "{name:{container:.0}}", "{name:{container:{kind:.0}.0}}",
]  # fmt: skip
_PIECES = st.sampled_from(_PIECE_LIST)
_VALUES = {
    "value": "'x'", "path": "/spec", "field": "image", "name": "web", "namespace": None,
    "kind": "Deployment", "container": "app",
}  # fmt: skip


@settings(max_examples=examples(full=3000, quick=600), deadline=None)
@given(
    pieces=st.lists(st.one_of(_PIECES, st.text(alphabet="{}!:ab0 .[]", max_size=6)), max_size=7),
    detail=st.sampled_from(["", "d", "image 'x' does not match 'y'"]),
    width=st.sampled_from(["5", "x", "", ">3"]),
)
def test_messages_filled_as_string_formatter_fills_them(
    pieces: list[str], detail: str, width: str
) -> None:
    values = {**_VALUES, "detail": detail, "width": width}
    template = "".join(pieces)
    assert render_message(template, values, detail) == _rendered_as_before(template, values, detail)


def test_every_two_pieces_filled_as_string_formatter_fills_them() -> None:
    values = {**_VALUES, "detail": "d", "width": "5"}
    for first in _PIECE_LIST:
        for second in _PIECE_LIST:
            template = first + second
            assert render_message(template, values, "d") == _rendered_as_before(
                template, values, "d"
            ), template


def _outcome(fill: Any, template: str, values: Mapping[str, Any]) -> tuple[str, ...]:
    try:
        return ("text", fill(template, values))
    except Exception as exc:
        return (type(exc).__name__, str(exc))


def test_fill_gives_string_formatters_text_or_its_very_exception() -> None:
    """kpolicy.policy._fill itself (which render_message's fallback hides: any ValueError
    leaves the template as written) gives a string.Formatter's text, or its exception with
    its message: among them the field numbering switched either way, whose message CPython's
    string module words alike for both."""
    from kpolicy.policy import _fill

    values = {**_VALUES, "detail": "d", "width": "5", "0": "zero"}
    odd = ["{}{0}", "{0}{}", "{name:{}}{0}", "{0:{}}", "{}{}{1}", "{1}{:{}}"]
    templates = odd + [first + second for first in _PIECE_LIST for second in _PIECE_LIST]
    for template in templates:
        expected = _outcome(
            lambda text, given: _SafeFormatter().vformat(text, (), given), template, values
        )
        filled = _outcome(lambda text, given: _fill(text, given)[0], template, values)
        assert filled == expected, template


def test_a_message_is_filled_without_importing_string() -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from kpolicy.policy import render_message\n"
        "print(render_message('{name!r} {missing:>12}', {'name': 'web'}, 'd'))\n"
        "print('string' in sys.modules, 'difflib' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout == "'web'    {missing}: d\nFalse False\n"


def test_each_schema_is_compiled_once(tmp_path: Path) -> None:
    path = policy(tmp_path, "target: container\ncheck:\n  required: [image]\n")
    rule = parse_rule_file(path)
    compiled.cache_clear()
    for _ in range(3):
        declarative_check(rule)
    info = compiled.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_hostile_manifests_do_not_crash(tmp_path: Path) -> None:
    hostile = """\
apiVersion: apps/v1
kind: Deployment
metadata: [not, a, mapping]
spec:
  template:
    spec:
      containers: {not: a list}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  template:
    spec:
      containers: [null, 3, {name: 4, image: [1]}]
"""
    path = policy(tmp_path, "target: container\ncheck:\n  properties:\n    image: {type: string}\n")
    result = lint_text(hostile, policies=[path], select=["p", "internal-error"])
    assert [d.rule for d in result.diagnostics] == ["p"]
    assert result.diagnostics[0].message == "A test policy: image is a list, expected string"


def test_declarative_check_without_check_is_an_error() -> None:
    rule = RuleDef(
        id="x",
        title="X",
        severity=Severity.ERROR,
        kinds=frozenset({"*"}),
        rationale="r",
        remediation="Fix.",
        message="m",
        examples=(Example(bad=None, good="a: 1"),),
    )
    with pytest.raises(ValueError):
        declarative_check(rule)
