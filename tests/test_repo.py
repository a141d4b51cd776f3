"""Real repositories: files that are not manifests, Helm charts, kustomize, .gitignore, context.

Every layout here is written by the test: a chart with templates and values, kustomize bases,
overlays, components and patches, CI and tool files beside the manifests.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import jsonschema
import pytest

from kpolicy import repo as repo_module
from kpolicy.repo import RepoModel
from tests.conftest import ROOT
from tests.test_cli import BAD, GOOD, run

REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def findings(stdout: str) -> list[tuple[str, str, int]]:
    report = json.loads(stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    return sorted((d["file"], d["rule"], d["line"]) for d in report["diagnostics"])


NEIGHBOURS = {
    ".pre-commit-config.yaml": """\
        repos:
          - repo: https://example.com/kpolicy
            rev: v1
            hooks: [{id: kpolicy}]
        """,
    ".github/workflows/ci.yaml": """\
        name: ci
        on: [push]
        jobs:
          lint: {runs-on: ubuntu-latest, steps: [{run: "kpolicy lint ."}]}
        """,
    "docker-compose.yml": """\
        services:
          web: {image: "nginx:1.27"}
        """,
    # kustomize's own kinds, with apiVersion and kind
    "deploy/kustomization.yaml": """\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [good.yaml]
        """,
    "chart/Chart.yaml": """\
        apiVersion: v2
        name: web
        version: 0.1.0
        """,
    # a values file may carry apiVersion and kind (values of the chart's objects)
    "chart/values.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        replicas: 2
        """,
    "chart/values-prod.yaml": "replicas: 3\n",
    "notes.yaml": "owner: platform-team\n",
}


def test_neighbours_named_on_the_command_line_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, {**NEIGHBOURS, "deploy/good.yaml": GOOD})
    names = [*NEIGHBOURS, "deploy/good.yaml"]
    result = run("lint", "--no-cache", *names, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].endswith(
        f"in 1 file (1 object, 0 suppressed; Kubernetes 1.37), {len(NEIGHBOURS)} files "
        "skipped: not Kubernetes manifests"
    ), result.stdout
    listed = run("lint", "--no-cache", "-v", *names, cwd=tmp_path)
    for name in NEIGHBOURS:
        assert f"{name}: skipped: " in listed.stdout
    assert (
        "chart/values.yaml: skipped: values or metadata of the Helm chart in chart" in listed.stdout
    )
    assert "notes.yaml: skipped: holds no Kubernetes object" in listed.stdout
    report = run("lint", "--no-cache", "-f", "json", "--show-skipped", *names, cwd=tmp_path)
    data = json.loads(report.stdout)
    jsonschema.validate(data, REPORT_SCHEMA)
    assert data["summary"]["skipped"] == len(NEIGHBOURS)
    assert sorted(s["file"] for s in data["skipped"]) == sorted(NEIGHBOURS)


def test_walking_a_folder_skips_the_same_files(tmp_path: Path) -> None:
    write(tmp_path, {**NEIGHBOURS, "deploy/good.yaml": GOOD, "deploy/bad.yaml": BAD})
    result = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    assert findings(result.stdout) == [("deploy/bad.yaml", "selector-mismatch", 6)]


def test_a_file_that_mixes_objects_and_other_documents_reports_them(tmp_path: Path) -> None:
    write(tmp_path, {"mixed.yaml": GOOD + "---\nowner: platform-team\n"})
    result = run("lint", "--no-cache", "-f", "json", "mixed.yaml", cwd=tmp_path)
    assert findings(result.stdout) == [("mixed.yaml", "manifest-invalid", 16)]


def test_objects_without_a_list_kind_are_reported_not_skipped(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "items.yaml": """\
            items:
              - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
            """,
            "list.yaml": """\
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
            """,
        },
    )
    result = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    assert findings(result.stdout) == [
        ("items.yaml", "manifest-invalid", 1),
        ("list.yaml", "manifest-invalid", 1),
    ]
    assert "kubectl rejects it" in result.stdout


def test_a_run_that_found_no_manifest_says_so(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    empty = run("lint", "--no-cache", "deploy", cwd=tmp_path)
    assert empty.returncode == 0
    assert empty.stderr == "kpolicy: warning: no Kubernetes manifests found in deploy\n"
    write(tmp_path, {"deploy/docker-compose.yml": NEIGHBOURS["docker-compose.yml"]})
    others = run("lint", "--no-cache", "deploy", cwd=tmp_path)
    assert others.returncode == 0
    assert "no Kubernetes manifests found in deploy" in others.stderr
    assert "1 file skipped: not a Kubernetes manifest" in others.stdout
    write(tmp_path, {"deploy/good.yaml": GOOD})
    assert run("lint", "--no-cache", "deploy", cwd=tmp_path).stderr == ""


# ---------------------------------------------------------------------------------------------
# exclude and .gitignore


def test_exclude_applies_to_named_files_with_force_exclude(tmp_path: Path) -> None:
    write(tmp_path, {".kpolicy.yaml": "exclude: ['generated/*']\n", "generated/bad.yaml": BAD})
    assert run("lint", "--no-cache", "generated/bad.yaml", cwd=tmp_path).returncode == 1
    forced = run("lint", "--no-cache", "-v", "--force-exclude", "generated/bad.yaml", cwd=tmp_path)
    assert forced.returncode == 0, forced.stdout
    assert "generated/bad.yaml: skipped: matches an exclude pattern" in forced.stdout
    write(tmp_path, {".kpolicy.yaml": "exclude: ['generated/*']\nforceExclude: true\n"})
    assert run("lint", "--no-cache", "generated/bad.yaml", cwd=tmp_path).returncode == 0
    assert (
        run(
            "lint", "--no-cache", "--no-force-exclude", "generated/bad.yaml", cwd=tmp_path
        ).returncode
        == 1
    )


def _git_tree(root: Path) -> Path:
    (root / ".git" / "info").mkdir(parents=True)  # a work tree, as far as a walk can tell
    write(
        root,
        {
            ".gitignore": "rendered/\n*.tmp.yaml\n!keep.tmp.yaml\n",
            ".git/info/exclude": "private.yaml\n",
            "deploy/.gitignore": "local.yaml\n",
            "deploy/bad.yaml": BAD,
            "deploy/local.yaml": BAD,
            "deploy/scratch.tmp.yaml": BAD,
            "deploy/keep.tmp.yaml": BAD,
            "rendered/bad.yaml": BAD,
            "private.yaml": BAD,
        },
    )
    return root


def test_gitignore_is_honoured_when_walking_a_work_tree(tmp_path: Path) -> None:
    _git_tree(tmp_path)
    result = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    assert {f for f, _, _ in findings(result.stdout)} == {"deploy/bad.yaml", "deploy/keep.tmp.yaml"}
    # from a sub-folder, the work tree's own .gitignore still applies
    inner = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path / "deploy")
    assert {f for f, _, _ in findings(inner.stdout)} == {"bad.yaml", "keep.tmp.yaml"}
    everything = run("lint", "--no-cache", "-f", "json", "--no-ignore", ".", cwd=tmp_path)
    assert len({f for f, _, _ in findings(everything.stdout)}) == 6
    # a named file is linted: pre-commit names only tracked files
    named = run("lint", "--no-cache", "rendered/bad.yaml", cwd=tmp_path)
    assert named.returncode == 1


def test_gitignore_outside_a_work_tree_is_not_read(tmp_path: Path) -> None:
    _git_tree(tmp_path)
    shutil.rmtree(tmp_path / ".git")
    result = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    assert len({f for f, _, _ in findings(result.stdout)}) == 6


# ---------------------------------------------------------------------------------------------
# Helm

CHART = {
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "charts/web/values.yaml": "tag: latest\nreplicas: 2\n",
    "charts/web/templates/deployment.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}-web
          labels:
            {{- include "web.labels" . | nindent 4 }}
        spec:
          replicas: {{ .Values.replicas }}
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: api
            spec:
              containers:
                - name: web
                  image: "nginx:{{ .Values.tag }}"
                - name: sidecar
                  image: "busybox:latest"
        """,
    "charts/web/templates/_helpers.tpl": '{{- define "web.labels" -}}\napp: web\n{{- end }}\n',
    "charts/web/templates/tests/test-connection.yaml": """\
        apiVersion: v1
        kind: Pod
        metadata:
          name: "{{ .Release.Name }}-test"
          annotations: {"helm.sh/hook": test}
        spec:
          containers: [{name: wget, image: "busybox:1.36"}]
        """,
}

RENDERED = """\
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rel-web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: web
          image: "nginx:latest"
        - name: sidecar
          image: "busybox:latest"
"""


def test_chart_templates_are_skipped_with_one_finding_per_chart(tmp_path: Path) -> None:
    write(tmp_path, CHART)
    result = run("lint", "--no-cache", "-f", "json", "--show-skipped", ".", cwd=tmp_path)
    assert findings(result.stdout) == [("charts/web/Chart.yaml", "helm-chart-not-rendered", 2)]
    data = json.loads(result.stdout)
    groups = {s["file"]: s["group"] for s in data["skipped"]}
    assert groups == {
        "charts/web/Chart.yaml": "not Kubernetes manifests",
        "charts/web/values.yaml": "not Kubernetes manifests",
        "charts/web/templates/deployment.yaml": "Helm chart templates",
        "charts/web/templates/tests/test-connection.yaml": "Helm chart templates",
    }
    text = run("lint", "--no-cache", ".", cwd=tmp_path)
    assert "helm template charts/web | kpolicy lint -" in text.stdout
    assert "4 files skipped (2 not Kubernetes manifests, 2 Helm chart templates)" in text.stdout
    # pre-commit names a template: skipped too
    named = run("lint", "--no-cache", "charts/web/templates/deployment.yaml", cwd=tmp_path)
    assert named.returncode == 0 and "yaml-syntax" not in named.stdout


def test_rendered_output_leads_back_to_the_template(tmp_path: Path) -> None:
    write(tmp_path, CHART)
    args = ("lint", "--no-cache", "-", "--stdin-filename", "rendered.yaml")
    data = json.loads(run(*args, "-f", "json", cwd=tmp_path, stdin=RENDERED).stdout)
    jsonschema.validate(data, REPORT_SCHEMA)
    origins = {(d["rule"], d["line"]): d.get("origin") for d in data["diagnostics"]}
    template = "charts/web/templates/deployment.yaml"
    # one `selector:` line in the template: found
    assert origins[("selector-mismatch", 11)] == {
        "file": "web/templates/deployment.yaml",
        "line": 9,
        "localFile": template,
    }
    # two `image:` lines: the one whose text is the rendered value, else none (line 1)
    assert origins[("image-tag-missing-or-latest", 23)]["line"] == 21
    assert origins[("image-tag-missing-or-latest", 21)]["line"] == 1
    text = run(*args, cwd=tmp_path, stdin=RENDERED).stdout
    assert f"[from {template}:9]" in text
    github = run(*args, "-f", "github", cwd=tmp_path, stdin=RENDERED).stdout
    assert f"::error file={template},line=9,title=selector-mismatch::" in github
    assert "(rendered at rendered.yaml:11:3)" in github
    sarif = json.loads(run(*args, "-f", "sarif", cwd=tmp_path, stdin=RENDERED).stdout)
    (mismatch,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "selector-mismatch"]
    where = mismatch["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == template
    assert where["region"]["startLine"] == 9
    related = [r["physicalLocation"] for r in mismatch["relatedLocations"]]
    assert {"uri": "rendered.yaml", "uriBaseId": "%SRCROOT%"} in [
        r["artifactLocation"] for r in related
    ]


def test_a_template_line_is_found_by_key_path_then_by_text(tmp_path: Path) -> None:
    from kpolicy.helm import template_line

    text = textwrap.dedent(CHART["charts/web/templates/deployment.yaml"])
    names = ("spec", "template", "spec", "containers", "image")
    assert template_line(text, ("spec", "replicas"), 2) == 8
    assert template_line(text, names, "busybox:latest") == 21
    assert template_line(text, names, "nginx:latest") is None
    assert template_line(text, ("spec", "template", "spec", "containers", "name"), "web") == 18
    assert template_line(text, ("spec", "paused"), True) is None


def test_a_template_outside_the_working_folder_is_not_read(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere", CHART)
    work = tmp_path / "work"
    work.mkdir()
    rendered = RENDERED.replace(
        "# Source: web/", f"# Source: {os.path.relpath(outside, work)}/charts/web/"
    )
    data = json.loads(
        run(
            "lint",
            "--no-cache",
            "-",
            "--stdin-filename",
            "r.yaml",
            "-f",
            "json",
            cwd=work,
            stdin=rendered,
        ).stdout
    )
    assert all("localFile" not in d["origin"] for d in data["diagnostics"])
    assert all(d["origin"]["line"] == 1 for d in data["diagnostics"])


def test_helm_hooks_are_left_out_of_selectors_and_services(tmp_path: Path) -> None:
    hook = GOOD.replace(
        "name: web\n", "name: migrate\n  annotations: {helm.sh/hook: pre-install}\n", 1
    )
    service = """\
        apiVersion: v1
        kind: Service
        metadata: {name: migrate}
        spec:
          selector: {app: migrate}
          ports: [{port: 80}]
        """
    write(
        tmp_path,
        {
            "web.yaml": GOOD,
            "hook.yaml": hook,
            "svc.yaml": service,
            "hook-svc.yaml": textwrap.dedent(service).replace(
                "metadata: {name: migrate}",
                "metadata: {name: m2, annotations: {helm.sh/hook: test}}",
            ),
            "migrate.yaml": hook.replace("app: web", "app: migrate"),
        },
    )
    result = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    got = findings(result.stdout)
    assert not [f for f in got if f[1] == "selector-overlap"], got
    # the Service selects only a hook's Pods: none of the release's
    assert ("svc.yaml", "service-selector-no-match", 5) in got
    assert not [f for f in got if f[0] == "hook-svc.yaml"], got
    plain = run(
        "lint", "--no-cache", "-f", "json", "web.yaml", "migrate.yaml", "svc.yaml", cwd=tmp_path
    )
    assert ("svc.yaml", "service-selector-no-match", 5) in findings(plain.stdout)


# ---------------------------------------------------------------------------------------------
# kustomize

DEPLOYMENT = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          containers:
            - name: web
              image: registry.example.com/web
    """

OVERLAY = {
    "base/kustomization.yaml": """\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        commonLabels: {app: web}
        images: [{name: registry.example.com/web, newTag: "1.4.2"}]
        resources: [deployment.yaml]
        """,
    "base/deployment.yaml": DEPLOYMENT,
    "overlays/prod/kustomization.yaml": """\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [../../base]
        components: [../../components/probes]
        patches:
          - path: replicas.yaml
          - path: json-patch.yaml
            target: {kind: Deployment, name: web}
        patchesStrategicMerge: [typo.yaml]
        """,
    "overlays/prod/replicas.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 3
        """,
    "overlays/prod/typo.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replica: 3
        """,
    "overlays/prod/json-patch.yaml": """\
        - op: replace
          path: /spec/replicas
          value: 4
        """,
    "components/probes/kustomization.yaml": """\
        apiVersion: kustomize.config.k8s.io/v1alpha1
        kind: Component
        patches: [{path: probes.yaml}]
        """,
    "components/probes/probes.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            spec:
              containers:
                - name: web
                  readinessProbe: {httpGet: {path: /healthz, port: http}}
        """,
    "overlays/prod/delete-debug.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: debug
        $patch: delete
        """,
}


def test_patches_are_judged_as_patches(tmp_path: Path) -> None:
    write(tmp_path, OVERLAY)
    result = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    # the one finding is the typo: a patch is still checked for what it says
    assert findings(result.stdout) == [("overlays/prod/typo.yaml", "schema-unknown-field", 6)]
    skipped = run("lint", "--no-cache", "-v", ".", cwd=tmp_path).stdout
    assert (
        "overlays/prod/json-patch.yaml: skipped: kustomize patch without an object (a JSON "
        "patch), named by overlays/prod/kustomization.yaml"
    ) in skipped


def test_a_patch_named_alone_is_a_patch(tmp_path: Path) -> None:
    """pre-commit names the staged patch only: its kustomization is found in its folder."""
    write(tmp_path, OVERLAY)
    for name in ("overlays/prod/replicas.yaml", "components/probes/probes.yaml"):
        result = run("lint", "--no-cache", name, cwd=tmp_path)
        assert result.returncode == 0, result.stdout
    (tmp_path / "overlays/prod/kustomization.yaml").unlink()
    alone = run("lint", "--no-cache", "-f", "json", "overlays/prod/replicas.yaml", cwd=tmp_path)
    assert ("overlays/prod/replicas.yaml", "selector-missing", 5) in findings(alone.stdout)


def test_strategic_merge_directives_make_a_patch(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "delete.yaml": OVERLAY["overlays/prod/delete-debug.yaml"],
            "order.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              $setElementOrder/containers: [{name: web}]
              containers:
                - name: web
                  imagePullPolicy: Sometimes
        """,
        },
    )
    result = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    assert findings(result.stdout) == [("order.yaml", "schema-enum-invalid", 10)]


def test_labels_a_kustomization_injects_are_applied(tmp_path: Path) -> None:
    write(tmp_path, OVERLAY)
    # no selector-missing, no image-tag finding (commonLabels and images of base/)
    base = run("lint", "--no-cache", "-f", "json", "base/deployment.yaml", cwd=tmp_path)
    assert findings(base.stdout) == []
    write(
        tmp_path,
        {
            "base/kustomization.yaml": """\
        labels: [{pairs: {app: web}}]
        resources: [deployment.yaml]
        """
        },
    )
    metadata_only = run("lint", "--no-cache", "-f", "json", "base/deployment.yaml", cwd=tmp_path)
    assert [r for _, r, _ in findings(metadata_only.stdout)] == [
        "image-tag-missing-or-latest",
        "selector-missing",
    ]
    write(
        tmp_path,
        {
            "base/kustomization.yaml": """\
        labels: [{pairs: {app: web}, includeSelectors: true}]
        resources: [deployment.yaml]
        """
        },
    )
    selectors = run("lint", "--no-cache", "-f", "json", "base/deployment.yaml", cwd=tmp_path)
    assert [r for _, r, _ in findings(selectors.stdout)] == ["image-tag-missing-or-latest"]


def test_the_repository_model(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            **OVERLAY,
            "outside/kustomization.yaml": "resources: [deployment.yaml]\n",
            "outside/deployment.yaml": DEPLOYMENT,
        },
    )
    work = tmp_path / "repo"
    shutil.move(str(tmp_path / "base"), work / "base")
    shutil.move(str(tmp_path / "overlays"), work / "overlays")
    shutil.move(str(tmp_path / "components"), work / "components")
    (work / ".git").mkdir()
    write(
        work,
        {
            "overlays/prod/kustomization.yaml": """\
        resources: [../../base, ../../../outside]
        components: [../../components/probes]
        patches: [{path: replicas.yaml}]
        """
        },
    )
    model = RepoModel.scan(["overlays/prod/replicas.yaml"], work)
    assert model.is_patch("overlays/prod/replicas.yaml")
    assert model.is_patch("components/probes/probes.yaml")
    assert [
        os.path.relpath(k.folder, work) for k in model.builds_including("base/deployment.yaml")
    ] == ["base", "overlays/prod"]
    assert [(i.labels, i.selectors) for i in model.injected_labels("base/deployment.yaml")] == [
        ((("app", "web"),), True)
    ]
    # the repository root is the git work tree: a kustomization outside it is never read
    assert not any("outside" in f for f in model.files_read)
    assert model.kustomization_at("outside") is None


def test_a_changed_kustomization_is_not_replayed_from_the_cache(tmp_path: Path) -> None:
    write(tmp_path, OVERLAY)
    env_dir = tmp_path / "cache"
    os.environ["KPOLICY_CACHE_DIR"] = str(env_dir)
    try:
        name = "overlays/prod/replicas.yaml"
        assert run("lint", name, cwd=tmp_path).returncode == 0
        assert run("lint", name, cwd=tmp_path).returncode == 0
        kustomization = tmp_path / "overlays/prod/kustomization.yaml"
        kustomization.write_text("resources: [../../base]\n")
        again = run("lint", name, cwd=tmp_path)
        assert again.returncode == 1 and "selector-missing" in again.stdout
    finally:
        del os.environ["KPOLICY_CACHE_DIR"]


# ---------------------------------------------------------------------------------------------
# --context: a staged change that breaks an object in another file

STATEFULSET = """\
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: db}
    spec:
      serviceName: db
      selector: {matchLabels: {app: db}}
      template:
        metadata: {labels: {app: db}}
        spec:
          containers: [{name: db, image: "postgres:16"}]
    """
SERVICE = """\
    apiVersion: v1
    kind: Service
    metadata: {name: db}
    spec:
      clusterIP: None
      selector: {app: db}
      ports: [{port: 5432}]
    """


def test_a_context_finding_caused_by_a_staged_file_is_shown_there(tmp_path: Path) -> None:
    write(tmp_path, {"db.yaml": STATEFULSET, "svc.yaml": SERVICE})
    assert run("lint", "--no-cache", "svc.yaml", "--context", ".", cwd=tmp_path).returncode == 0
    write(tmp_path, {"svc.yaml": SERVICE.replace("clusterIP: None", "clusterIP: 10.0.0.9")})
    staged = run("lint", "--no-cache", "-f", "sarif", "svc.yaml", "--context", ".", cwd=tmp_path)
    assert staged.returncode == 1
    (result,) = json.loads(staged.stdout)["runs"][0]["results"]
    assert result["ruleId"] == "statefulset-service-not-headless"
    where = result["locations"][0]["physicalLocation"]
    assert (where["artifactLocation"]["uri"], where["region"]["startLine"]) == ("svc.yaml", 5)
    related = {r["physicalLocation"]["artifactLocation"]["uri"] for r in result["relatedLocations"]}
    assert related == {"db.yaml"}
    # both files reported: the finding is on the StatefulSet, once
    both = run(
        "lint", "--no-cache", "-f", "json", "svc.yaml", "db.yaml", "--context", ".", cwd=tmp_path
    )
    assert findings(both.stdout) == [("db.yaml", "statefulset-service-not-headless", 5)]


# ---------------------------------------------------------------------------------------------
# --kustomize DIR

needs_kustomize = pytest.mark.skipif(
    shutil.which("kubectl") is None and shutil.which("kustomize") is None,
    reason="needs kubectl (with kustomize) or kustomize on PATH",
)


@needs_kustomize
def test_kustomize_build_is_linted_on_its_source_files(tmp_path: Path) -> None:
    write(tmp_path, OVERLAY)
    write(
        tmp_path,
        {
            "overlays/prod/kustomization.yaml": """\
            resources: [../../base]
            patches: [{path: replicas.yaml}]
            """,
            "base/kustomization.yaml": "commonLabels: {app: web}\nresources: [deployment.yaml]\n",
        },
    )
    result = run("lint", "-f", "json", "--kustomize", "overlays/prod", cwd=tmp_path)
    data = json.loads(result.stdout)
    jsonschema.validate(data, REPORT_SCHEMA)
    got = [(d["file"], d["rule"], d["line"]) for d in data["diagnostics"]]
    # the untagged image, on the line of the base's file that says it
    assert got == [("base/deployment.yaml", "image-tag-missing-or-latest", 10)]
    sarif = json.loads(
        run("lint", "-f", "sarif", "--kustomize", "overlays/prod", cwd=tmp_path).stdout
    )
    (only,) = sarif["runs"][0]["results"]
    assert only["relatedLocations"][0]["message"]["text"] == "where kustomize build puts it"
    assert "config.kubernetes.io/origin" not in result.stdout
    # the repository is left as it was
    assert sorted(p.name for p in (tmp_path / "overlays/prod").iterdir()) == sorted(
        Path(n).name for n in OVERLAY if n.startswith("overlays/prod/")
    )


def test_kustomize_without_the_tool_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path, OVERLAY)
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "kpolicy", "lint", "--kustomize", "overlays/prod"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": str(tmp_path / "nothing")},
    )
    assert result.returncode == 2
    assert "kpolicy: error: --kustomize needs `kubectl`" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_service_of_another_build_is_not_the_statefulsets(tmp_path: Path) -> None:
    """Two kustomize bases that are never built together (argo-cd's StatefulSet and Deployment
    variants of one controller): the non-headless Service of one is not the other's."""
    write(
        tmp_path,
        {
            "statefulset/kustomization.yaml": "resources: [db.yaml]\n",
            "statefulset/db.yaml": STATEFULSET,
            "deployment/kustomization.yaml": "resources: [svc.yaml]\n",
            "deployment/svc.yaml": SERVICE.replace("clusterIP: None", "clusterIP: 10.0.0.9"),
        },
    )
    apart = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    assert findings(apart.stdout) == [("statefulset/db.yaml", "statefulset-service-not-found", 5)]
    write(tmp_path, {"kustomization.yaml": "resources: [statefulset, deployment]\n"})
    together = run("lint", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    assert findings(together.stdout) == [
        ("statefulset/db.yaml", "statefulset-service-not-headless", 5)
    ]


def test_show_skipped_lists_links_that_leave_the_folder(tmp_path: Path) -> None:
    """The walk's skipped links (issue 13) go through the same list as the non-manifests."""
    outside = write(tmp_path / "outside", {"secret.yaml": GOOD})
    repo = write(tmp_path / "repo", {"k8s/good.yaml": GOOD, "k8s/notes.yaml": "a: 1\n"})
    (repo / "k8s" / "leak.yaml").symlink_to(outside / "secret.yaml")
    result = run("lint", "--no-cache", "-v", "k8s", cwd=repo)
    assert (
        "k8s/leak.yaml: skipped: symbolic link to a path outside k8s, not followed" in result.stdout
    )
    assert (
        "2 files skipped (1 symbolic link leaving the folder, 1 not a Kubernetes manifest)"
        in result.stdout
    )


def test_the_skipped_summary_counts_in_the_right_number() -> None:
    """One file of a group is named in the singular: never "1 symbolic links"."""
    from kpolicy.discover import EXCLUDED, HELM_TEMPLATES, NOT_MANIFESTS, OUTSIDE_LINKS, Skipped
    from kpolicy.model import LintResult, Summary
    from kpolicy.report.text import skipped_summary

    def summary(*groups: str) -> str:
        skipped = tuple(Skipped(f"f{i}.yaml", "why", g) for i, g in enumerate(groups))
        return skipped_summary(
            LintResult((), (), Summary(0, 0, 0, 0, 0, 0, 0), "1.37", skipped=skipped)
        )

    assert summary(NOT_MANIFESTS) == ", 1 file skipped: not a Kubernetes manifest"
    assert summary(OUTSIDE_LINKS) == ", 1 file skipped: symbolic link leaving the folder"
    assert summary(HELM_TEMPLATES) == ", 1 file skipped: Helm chart template"
    assert summary(EXCLUDED) == ", 1 file skipped: excluded by the config"
    assert summary(OUTSIDE_LINKS, OUTSIDE_LINKS) == (
        ", 2 files skipped: symbolic links leaving the folder"
    )
    assert summary(OUTSIDE_LINKS, NOT_MANIFESTS, NOT_MANIFESTS, HELM_TEMPLATES) == (
        ", 4 files skipped (1 symbolic link leaving the folder, 2 not Kubernetes manifests, "
        "1 Helm chart template)"
    )


def test_every_compose_pattern_starts_with_a_tested_prefix() -> None:
    """neighbour_reason tests a name's prefix before its Compose patterns: a pattern added
    with another beginning would never be tried."""
    from kpolicy.repo import _COMPOSE, _COMPOSE_PREFIXES, neighbour_reason

    assert all(pattern.startswith(_COMPOSE_PREFIXES) for pattern in _COMPOSE)
    for name in (
        "docker-compose.yml",
        "docker-compose.prod.yaml",
        "compose.yaml",
        "compose.ci.yml",
    ):
        assert neighbour_reason(f"deploy/{name}") == "Compose file"
    assert neighbour_reason("deploy/composer.yaml") is None


def test_an_object_with_its_kustomization_labels_is_no_longer_the_loaders_plain_value(
    tmp_path: Path,
) -> None:
    """KObject.plain vouches for the value the loader built; the copy with the labels and
    images a kustomization sets is one the schema check walks again (is_plain_tree)."""
    from kpolicy.lint.inputs import adapt_to_repo
    from kpolicy.load import load_text
    from kpolicy.model import SourceFile

    work = write(tmp_path, {k: v for k, v in OVERLAY.items() if k.startswith("base/")})
    (work / ".git").mkdir()
    model = RepoModel.scan(["base/deployment.yaml"], work)
    text = (work / "base/deployment.yaml").read_text()
    loaded = load_text(SourceFile("base/deployment.yaml", text))
    assert [o.plain for o in loaded.objects] == [True]
    adapted = adapt_to_repo(loaded, model)
    assert [o.data["metadata"]["labels"] for o in adapted.objects] == [{"app": "web"}]
    assert [o.plain for o in adapted.objects] == [False]


@pytest.mark.parametrize(
    "files",
    [
        {k: v for k, v in OVERLAY.items() if k.startswith("base/")},  # a build's member
        {k: v for k, v in OVERLAY.items() if not k.startswith("base/kust")},  # patches only
        OVERLAY,
        {"deploy/deployment.yaml": DEPLOYMENT, "other/x.yaml": DEPLOYMENT},  # no kustomization
        {  # a kustomization that names no file of the run
            "deploy/deployment.yaml": DEPLOYMENT,
            "k/kustomization.yaml": "resources: [https://example.com/x]\n",
        },
    ],
)
def test_a_repository_that_adapts_no_file_leaves_every_file_as_read(
    tmp_path: Path, files: dict[str, str]
) -> None:
    """adapt_to_repo asks a repository nothing more about a file when adapts_files() says no
    kustomization names a file as a patch or a member: each file is then no patch and gets
    no labels and no images."""
    work = write(tmp_path, files)
    (work / ".git").mkdir()
    names = sorted(name for name in files if not name.endswith("kustomization.yaml"))
    model = RepoModel.scan(names, work)
    adapted = any(
        model.is_patch(name) or model.injected_labels(name) or model.image_overrides(name)
        for name in names
    )
    assert model.adapts_files() or not adapted
    assert adapted is model.adapts_files()  # (each case here adapts a file when it may)
    assert model.adapts_files() is (
        "base/kustomization.yaml" in files or "overlays/prod/kustomization.yaml" in files
    )


def _model_state(model: RepoModel) -> tuple[object, ...]:
    return (
        sorted(model._probes.items()),
        sorted(model._roots.items()),
        sorted(model.charts),
        sorted(model.kustomizations),
        sorted(model._patch_users),
        sorted(model._members),
        sorted(model._roles.items()),
        sorted(model.files_read),
    )


def test_a_scan_makes_one_key_a_folder_and_the_model_of_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files of one folder (named with the same text before their last separator) share
    its probes: the scan makes the key of the first of them only, and the model is the one
    made by scanning every file on its own, whatever the spelling of their folders."""
    write(
        tmp_path,
        {
            **OVERLAY,
            "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "chart/templates/a.yaml": DEPLOYMENT,
            "chart/templates/b.yaml": DEPLOYMENT,
            "plain/a.yaml": DEPLOYMENT,
            "plain/b.yaml": DEPLOYMENT,
        },
    )
    displays = [
        "plain/a.yaml",
        "plain/b.yaml",
        "./plain/b.yaml",
        "plain/../plain/a.yaml",
        "chart/templates/a.yaml",
        "chart/templates/b.yaml",
        "overlays/prod/replicas.yaml",
        "base/deployment.yaml",
        "top.yaml",
        "other.yaml",
    ]
    alone = [RepoModel.scan([display], tmp_path) for display in displays]
    keys: list[str] = []
    real_key = RepoModel.key

    def counting(self: RepoModel, display: str) -> str:
        keys.append(display)
        return real_key(self, display)

    monkeypatch.setattr(RepoModel, "key", counting)
    model = RepoModel.scan(displays, tmp_path)
    assert keys == [
        "plain/a.yaml",
        "./plain/b.yaml",
        "plain/../plain/a.yaml",
        "chart/templates/a.yaml",
        "overlays/prod/replicas.yaml",
        "base/deployment.yaml",
        "top.yaml",
    ]
    monkeypatch.undo()
    # the general path: every file's key and folder made (each file its own group)
    monkeypatch.setattr(repo_module, "_last_separator", lambda display: len(display) - 1)
    general = RepoModel.scan(displays, tmp_path)
    monkeypatch.undo()
    assert _model_state(model) == _model_state(general)
    assert model.charts and model.kustomizations and model.patch_files()
    for display, single in zip(displays, alone, strict=True):
        assert model.skip_reason(display) == single.skip_reason(display)
        assert model.is_patch(display) == single.is_patch(display)


def test_a_neighbour_is_known_by_its_name_in_any_folder() -> None:
    """Each name neighbour_reason knows by itself (kustomizations, chart metadata, CI and tool
    configuration) is answered for at the top, in a folder and with os.sep, and only as a
    whole name; a workflow by its folder alone."""
    from kpolicy.helm import CHART_FILE
    from kpolicy.kustomize import KUSTOMIZATION_FILES
    from kpolicy.repo import _NEIGHBOURS, neighbour_reason

    expected = {
        **_NEIGHBOURS,
        CHART_FILE: "Helm chart metadata",
        "Chart.lock": "Helm chart metadata",
        **{
            n: "kustomization (kustomize's own file, not applied to a cluster)"
            for n in KUSTOMIZATION_FILES
        },
    }
    for name, reason in expected.items():
        for display in (name, f"a/b/{name}", os.path.join("a", "b", name)):
            assert neighbour_reason(display) == reason
        assert neighbour_reason(f"a/x{name}") is None
        assert neighbour_reason(f"{name}/x.yaml") is None
    assert neighbour_reason(".github/workflows/ci.yaml") == "CI workflow"
    assert neighbour_reason("a/.gitea/workflows/ci.yml") == "CI workflow"
    assert neighbour_reason("a/workflows/ci.yaml") is None
    assert neighbour_reason("a/.circleci/config.yml") == "CircleCI configuration"
