"""Which objects are applied together (issue 21): one file, one folder of plain files, one
kustomize build or one chart; and the rules that relate objects by it (selector-overlap, the
governing Service of a StatefulSet, the budgets, autoscalers and Services).

Every layout is written by the test.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from kpolicy.checks.services import OVERLAP_MESSAGE_MAX, overlap_message
from kpolicy.index import Index
from kpolicy.load import load_text
from kpolicy.model import SourceFile
from kpolicy.repo import Relation, RepoModel, plain_relation
from tests.helpers import lint_paths


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def found(root: Path, *paths: str, rules: tuple[str, ...] = ()) -> list[tuple[str, str, int]]:
    result = lint_paths(list(paths) or ["."], root, use_config_discovery=False)
    assert not result.errors, result.errors
    return sorted(
        (d.file, d.rule, d.span.line) for d in result.diagnostics if not rules or d.rule in rules
    )


def messages(root: Path, rule: str) -> list[str]:
    result = lint_paths(["."], root, use_config_discovery=False)
    return [d.message for d in result.diagnostics if d.rule == rule]


def workload(kind: str, name: str, app: str, namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    service_name = "\n  serviceName: x" if kind == "StatefulSet" else ""
    return f"""\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}{ns}
spec:{service_name}
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata: {{labels: {{app: {app}}}}}
    spec:
      containers: [{{name: c, image: "registry.example.com/{name}:1.0"}}]
"""


# ---------------------------------------------------------------------------------------------
# the model


def test_relation_of_files(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(
        tmp_path,
        {
            "plain/a.yaml": "",
            "plain/b.yaml": "",
            "plain/sub/c.yaml": "",
            "other/d.yaml": "",
            "base/kustomization.yaml": "resources: [web.yaml]\n",
            "base/web.yaml": "",
            "base/loose.yaml": "",
            "overlays/a/kustomization.yaml": "resources: [../../base, extra.yaml, ../../variants/a.yaml]\n",
            "overlays/a/extra.yaml": "",
            "overlays/b/kustomization.yaml": "resources: [../../base, ../../variants/b.yaml]\n",
            "variants/a.yaml": "",
            "variants/b.yaml": "",
            "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "chart/crds/crd.yaml": "",
            "chart/extra/x.yaml": "",
            "chart2/Chart.yaml": "apiVersion: v2\nname: db\nversion: 0.1.0\n",
            "chart2/crds/crd.yaml": "",
        },
    )
    files = [
        "plain/a.yaml",
        "plain/b.yaml",
        "plain/sub/c.yaml",
        "other/d.yaml",
        "base/web.yaml",
        "base/loose.yaml",
        "overlays/a/extra.yaml",
        "variants/a.yaml",
        "variants/b.yaml",
        "chart/crds/crd.yaml",
        "chart/extra/x.yaml",
        "chart2/crds/crd.yaml",
    ]
    # a folder walk lists the kustomizations too (skipped later, but their folders are read)
    model = RepoModel.scan([*files, "overlays/b/kustomization.yaml"], tmp_path)
    expect = {
        ("plain/a.yaml", "plain/a.yaml"): Relation.SAME_FILE,
        # kubectl apply -f plain/ applies both; not plain/sub/ (no -R)
        ("plain/a.yaml", "plain/b.yaml"): Relation.SAME_FOLDER,
        ("plain/a.yaml", "plain/sub/c.yaml"): Relation.OTHER_FOLDERS,
        ("plain/a.yaml", "other/d.yaml"): Relation.OTHER_FOLDERS,
        # a base and an overlay that builds it; an overlay's resource from another folder
        ("base/web.yaml", "overlays/a/extra.yaml"): Relation.SAME_BUILD,
        ("base/web.yaml", "variants/b.yaml"): Relation.SAME_BUILD,
        # different overlays never pair, even from one folder
        ("overlays/a/extra.yaml", "variants/b.yaml"): Relation.APART,
        ("variants/a.yaml", "variants/b.yaml"): Relation.APART,
        # a plain file beside a build's resource is not in the build
        ("base/loose.yaml", "base/web.yaml"): Relation.APART,
        ("chart/crds/crd.yaml", "chart/extra/x.yaml"): Relation.SAME_CHART,
        ("chart/crds/crd.yaml", "chart2/crds/crd.yaml"): Relation.APART,
        ("chart/crds/crd.yaml", "plain/a.yaml"): Relation.APART,
        # stdin goes with everything
        ("<stdin>", "base/web.yaml"): Relation.SAME_FOLDER,
    }
    got = {pair: model.relation(*pair) for pair in expect}
    assert got == expect
    assert {pair: model.relation(pair[1], pair[0]) for pair in expect} == expect
    together = {pair for pair, rel in expect.items() if model.applied_together(*pair)}
    assert together == {pair for pair, rel in expect.items() if rel <= Relation.SAME_CHART}
    assert plain_relation("a/x.yaml", "a/y.yaml") is Relation.SAME_FOLDER
    assert plain_relation("a/x.yaml", "b/y.yaml") is Relation.OTHER_FOLDERS


# ---------------------------------------------------------------------------------------------
# selector-overlap


def test_plain_files_pair_only_within_a_folder(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "agent/daemonset.yaml": workload("DaemonSet", "agent", "agent", "ops"),
            "agent/debug.yaml": workload("Deployment", "agent-debug", "agent", "ops"),
            # an alternative install in another folder, in the same namespace
            "agent-ha/deployment.yaml": workload("Deployment", "agent-ha", "agent", "ops"),
            "agent/sub/canary.yaml": workload("Deployment", "agent-sub", "agent", "ops"),
        },
    )
    assert found(tmp_path, rules=("selector-overlap",)) == [
        ("agent/debug.yaml", "selector-overlap", 7)
    ]
    # the files named together on the command line are still judged by their folders
    assert (
        found(
            tmp_path,
            "agent-ha/deployment.yaml",
            "agent/daemonset.yaml",
            rules=("selector-overlap",),
        )
        == []
    )


def test_plain_files_that_define_one_object_are_alternatives(tmp_path: Path) -> None:
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: agent}\nspec:\n  selector: {app: agent}\n  ports: [{port: 80}]\n"
    write(
        tmp_path,
        {
            # two variants of one application side by side: both define Service 'agent', so
            # `kubectl apply -f variants/` would replace one with the other
            "variants/small.yaml": service
            + "---\n"
            + workload("Deployment", "agent-small", "agent"),
            "variants/large.yaml": service
            + "---\n"
            + workload("Deployment", "agent-large", "agent"),
            # a third variant that defines nothing twice is an alternative too: the folder as a
            # whole is not something anyone applies
            "variants/debug.yaml": workload("Deployment", "agent-debug", "agent"),
            # files of one application: no object is defined twice
            "app/web.yaml": workload("Deployment", "web", "web"),
            "app/web-debug.yaml": workload("Deployment", "web-debug", "web"),
        },
    )
    assert found(tmp_path, rules=("selector-overlap",)) == [("app/web.yaml", "selector-overlap", 6)]


def test_a_group_is_n_minus_1_findings_each_on_the_later(tmp_path: Path) -> None:
    write(tmp_path, {f"app/{i}.yaml": workload("Deployment", f"w{i}", "shop") for i in range(5)})
    result = lint_paths(["."], tmp_path, use_config_discovery=False)
    overlaps = [d for d in result.diagnostics if d.rule == "selector-overlap"]
    assert [d.file for d in overlaps] == [f"app/{i}.yaml" for i in range(1, 5)]
    # each names the first workload of the group, as its related location
    assert {d.related[0].file for d in overlaps} == {"app/0.yaml"}
    assert all("Deployment 'w0'" in d.message for d in overlaps)


def test_the_overlap_message_is_short_and_says_what_happens() -> None:
    message = overlap_message("app=shop", "Deployment", "web")
    assert message == (
        "selector app=shop matches the template labels of Deployment 'web' and vice versa: "
        "either may adopt orphaned Pods; Services, PDBs, HPAs count both"
    )
    long = overlap_message(
        ",".join(f"example.com/key-{i}=value-{i}" for i in range(30)), "StatefulSet", "n" * 253
    )
    assert len(long) <= OVERLAP_MESSAGE_MAX
    assert long.startswith("selector example.com/key-0=")
    assert "StatefulSet 'nnnn" in long and long.endswith("count both")
    # the selector is clipped before the other workload's name, which the text report shows
    # nowhere else (the finding's own line shows the selector)
    argo = overlap_message(
        "app.kubernetes.io/name=argocd-application-controller",
        "Deployment",
        "argocd-application-controller",
    )
    assert len(argo) <= OVERLAP_MESSAGE_MAX
    assert "selector app.kubernetes.io/name=argocd-app... " in argo
    assert "Deployment 'argocd-application-controller'" in argo


# ---------------------------------------------------------------------------------------------
# statefulset-service-*: several Services of one name


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
HEADLESS = """\
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
"""
CLUSTER_IP = HEADLESS.replace("clusterIP: None", "clusterIP: 10.0.0.9")


def test_the_governing_service_is_the_nearest_of_several(tmp_path: Path) -> None:
    """The Service in the StatefulSet's own file is the one applied with it; a headless
    Service of that name in another folder does not make up for it."""
    write(
        tmp_path,
        {
            "postgres/db.yaml": f"{STATEFULSET}---\n{CLUSTER_IP}",
            "postgres-ha/service.yaml": HEADLESS,
        },
    )
    assert found(tmp_path, rules=("statefulset-service-not-headless",)) == [
        ("postgres/db.yaml", "statefulset-service-not-headless", 5)
    ]
    (message,) = messages(tmp_path, "statefulset-service-not-headless")
    assert message.endswith(
        "(judged against the Service in this file, postgres/db.yaml, one of 2 named 'db')"
    )
    # the Service of the same folder wins over one of another folder; then no note is needed
    # for a single Service
    write(
        tmp_path,
        {
            "postgres/db.yaml": STATEFULSET,
            "postgres/svc.yaml": HEADLESS,
            "postgres-ha/service.yaml": CLUSTER_IP,
        },
    )
    assert found(tmp_path, rules=("statefulset-service-not-headless",)) == []


def test_a_service_of_another_folder_serves_when_none_is_nearer(tmp_path: Path) -> None:
    """Named by serviceName, a Service in another folder is meant for the StatefulSet (a
    repository laid out by kind): it is judged, and of several there, the one that serves."""
    write(tmp_path, {"statefulsets/db.yaml": STATEFULSET, "services/db.yaml": CLUSTER_IP})
    assert found(
        tmp_path, rules=("statefulset-service-not-found", "statefulset-service-not-headless")
    ) == [("statefulsets/db.yaml", "statefulset-service-not-headless", 5)]
    (message,) = messages(tmp_path, "statefulset-service-not-headless")
    assert "judged against" not in message  # one Service of that name: nothing was chosen
    write(tmp_path, {"services-ha/db.yaml": HEADLESS})
    assert (
        found(tmp_path, rules=("statefulset-service-not-found", "statefulset-service-not-headless"))
        == []
    )


def test_the_service_of_the_same_build_is_judged(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [db.yaml]\n",
            "base/db.yaml": STATEFULSET,
            "overlays/prod/kustomization.yaml": "resources: [../../base, svc.yaml]\n",
            "overlays/prod/svc.yaml": HEADLESS.replace("app: db", "app: other"),
            "plain/svc.yaml": HEADLESS,
        },
    )
    assert found(tmp_path, rules=("statefulset-service-selector-mismatch",)) == [
        ("base/db.yaml", "statefulset-service-selector-mismatch", 5)
    ]
    (message,) = messages(tmp_path, "statefulset-service-selector-mismatch")
    assert message.endswith(
        "(judged against the Service in the same kustomize build, "
        "overlays/prod/svc.yaml, one of 2 named 'db')"
    )


# ---------------------------------------------------------------------------------------------
# the other rules that relate objects


def service(name: str, app: str, target: str = "http") -> str:
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  selector: {{app: {app}}}
  ports: [{{port: 80, targetPort: {target}}}]
"""


def with_port(text: str, port: str) -> str:
    return text.replace(
        'image: "registry.example.com/',
        f'ports: [{{name: {port}, containerPort: 8080}}], image: "registry.example.com/',
    )


def test_a_services_ports_are_judged_against_the_pods_applied_with_it(tmp_path: Path) -> None:
    """An alternative in another folder that names the port does not hide that the Pods
    applied with the Service do not."""
    write(
        tmp_path,
        {
            "web/svc.yaml": service("web", "web"),
            "web/deploy.yaml": with_port(workload("Deployment", "web", "web"), "web"),
            "web-v2/deploy.yaml": with_port(workload("Deployment", "web-v2", "web"), "http"),
        },
    )
    rule = ("service-target-port-unknown",)
    assert found(tmp_path, rules=rule) == [("web/svc.yaml", "service-target-port-unknown", 6)]
    (message,) = messages(tmp_path, rule[0])
    assert "(Deployment 'web')" in message and "web-v2" not in message
    # with no Pods of its own folder, the Pods of plain files elsewhere are judged
    (tmp_path / "web/deploy.yaml").unlink()
    assert found(tmp_path, rules=rule) == []
    # never the Pods of another kustomize build
    write(
        tmp_path,
        {
            "web/kustomization.yaml": "resources: [svc.yaml]\n",
            "web-v1/kustomization.yaml": "resources: [deploy.yaml]\n",
            "web-v1/deploy.yaml": with_port(workload("Deployment", "web-v1", "web"), "web"),
        },
    )
    (tmp_path / "web-v2/deploy.yaml").unlink()
    assert found(tmp_path, rules=(*rule, "service-selector-no-match")) == []


def test_a_budget_counts_the_pods_applied_with_it(tmp_path: Path) -> None:
    pdb = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
"""
    two = workload("Deployment", "web", "web").replace(
        "spec:\n  selector", "spec:\n  replicas: 2\n  selector"
    )
    write(
        tmp_path,
        {
            "web/pdb.yaml": pdb,
            "web/deploy.yaml": two,
            # a bigger alternative elsewhere would make room for an eviction that web/ lacks
            "web-ha/deploy.yaml": two.replace("replicas: 2", "replicas: 5").replace(
                "name: web", "name: web-ha"
            ),
        },
    )
    assert found(tmp_path, rules=("pdb-blocks-all-evictions",)) == [
        ("web/pdb.yaml", "pdb-blocks-all-evictions", 5)
    ]


def test_an_autoscaler_of_another_build_does_not_scale_the_workload(tmp_path: Path) -> None:
    hpa = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
"""
    deploy = workload("Deployment", "web", "web").replace(
        "spec:\n  selector", "spec:\n  replicas: 3\n  selector"
    )
    rule = ("replicas-set-with-hpa",)
    # an optional add-on in a folder of its own: it names the Deployment, so it scales it
    write(tmp_path, {"app/deploy.yaml": deploy, "app/hpa/hpa.yaml": hpa})
    assert found(tmp_path, rules=rule) == [("app/deploy.yaml", "replicas-set-with-hpa", 6)]
    # two variants that no build joins: the autoscaled one is not this one
    write(
        tmp_path,
        {
            "app/kustomization.yaml": "resources: [deploy.yaml]\n",
            "app/hpa/kustomization.yaml": "resources: [hpa.yaml]\n",
        },
    )
    assert found(tmp_path, rules=rule) == []


def test_an_ingress_backend_is_the_service_of_its_build(tmp_path: Path) -> None:
    ingress = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
"""
    svc = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""
    write(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [svc.yaml]\n",
            "base/svc.yaml": svc,
            "overlays/prod/kustomization.yaml": "resources: [../../base, ingress.yaml]\n",
            "overlays/prod/ingress.yaml": ingress,
            # an older variant elsewhere, first in the input: not the one the build applies
            "alt/svc.yaml": svc.replace("port: 80", "port: 8080"),
        },
    )
    assert found(tmp_path, rules=("ingress-backend-not-found",)) == []
    write(tmp_path, {"base/svc.yaml": svc.replace("port: 80", "port: 9090")})
    assert found(tmp_path, rules=("ingress-backend-not-found",)) == [
        ("overlays/prod/ingress.yaml", "ingress-backend-not-found", 10)
    ]


def test_the_index_answers_each_pair_as_the_model_does(tmp_path: Path) -> None:
    """The index answers how two files are applied once per pair of file classes
    (RepoModel.relation_class): every pair, asked in one index after all the others, gets
    the answer a fresh index gives it (fails when a class forgets the builds, the chart or
    the folder of a file)."""
    (tmp_path / ".git").mkdir()
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"
    layout = {
        "plain/a.yaml": "a",
        "plain/b.yaml": "b",
        "other/c.yaml": "c",
        # a build's resource beside a plain file; two overlays of one base
        "base/web.yaml": "web",
        "base/loose.yaml": "loose",
        "overlays/a/extra.yaml": "extra-a",
        "overlays/b/extra.yaml": "extra-b",
        "variants/a.yaml": "variant-a",
        "variants/b.yaml": "variant-b",
        "chart/crds/crd.yaml": "crd",
        "chart/extra/x.yaml": "x",
        "chart2/crds/crd.yaml": "crd2",
        # alternatives: both define ConfigMap 'same'
        "alt/x.yaml": "same",
        "alt/y.yaml": "same",
        "alt/z.yaml": "z",
    }
    write(tmp_path, {name: config_map.format(name=obj) for name, obj in layout.items()})
    write(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [web.yaml]\n",
            "overlays/a/kustomization.yaml": "resources: [../../base, extra.yaml, ../../variants/a.yaml]\n",
            "overlays/b/kustomization.yaml": "resources: [../../base, extra.yaml, ../../variants/b.yaml]\n",
            "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "chart2/Chart.yaml": "apiVersion: v2\nname: db\nversion: 0.1.0\n",
        },
    )
    objects = [
        obj
        for name in layout
        for obj in load_text(SourceFile(name, (tmp_path / name).read_text())).objects
    ]
    objects.append(load_text(SourceFile("<stdin>", config_map.format(name="in"))).objects[0])
    model = RepoModel.scan(list(layout), tmp_path)
    pairs = [(a, b) for a in objects for b in objects]
    makers: list[Callable[[], Index]] = [
        lambda: Index(objects, model.relation, model.relation_class),
        lambda: Index(objects, model.relation),  # each file its own class
        lambda: Index(objects),  # plain files
    ]
    for make in makers:
        alone = {(id(a), id(b)): make().relation(a, b) for a, b in pairs}
        index = make()
        assert {(id(a), id(b)): index.relation(a, b) for a, b in pairs} == alone
        assert {(id(a), id(b)): index.relation(a, b) for a, b in reversed(pairs)} == alone
    index = Index(objects, model.relation, model.relation_class)
    by_name = {obj.source.display: obj for obj in objects}
    assert index.relation(by_name["base/loose.yaml"], by_name["base/web.yaml"]) is Relation.APART
    assert index.relation(by_name["alt/x.yaml"], by_name["alt/z.yaml"]) is Relation.OTHER_FOLDERS
    assert index.relation(by_name["plain/a.yaml"], by_name["plain/b.yaml"]) is (
        Relation.SAME_FOLDER
    )
    assert index.relation(by_name["overlays/a/extra.yaml"], by_name["base/web.yaml"]) is (
        Relation.SAME_BUILD
    )
    assert index.relation(by_name["variants/a.yaml"], by_name["variants/b.yaml"]) is (
        Relation.APART
    )
