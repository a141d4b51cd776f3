"""`kpolicy plan --from OLD` and `--base GIT_REV`: what a change does, as a user runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.plan.test_cli_plan import (
    DAEMONSET,
    DEPLOYMENT,
    HEADLESS_SERVICE,
    STATEFULSET,
    has_note,
    plan_json,
    run,
    workload,
)


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


def diff(tmp_path: Path, old: str, new: str, *args: str) -> dict[str, Any]:
    write(tmp_path / "old", app=old)
    write(tmp_path / "new", app=new)
    return plan_json("new", "--from", "old", *args, cwd=tmp_path)


def only(doc: dict[str, Any]) -> dict[str, Any]:
    assert len(doc["workloads"]) == 1, doc["workloads"]
    workload: dict[str, Any] = doc["workloads"][0]
    return workload


NEW_IMAGE = DEPLOYMENT.replace("nginx:1.27", "nginx:1.28")


def test_rollout(tmp_path: Path) -> None:
    web = only(diff(tmp_path, DEPLOYMENT, NEW_IMAGE))
    assert web["change"] == "rollout"
    assert web["rejected"] is None
    assert web["steps"] == [
        {"new": 3, "old": [8]},
        {"new": 5, "old": [8]},
        {"new": 5, "old": [3]},
        {"new": 10, "old": [3]},
        {"new": 10, "old": [0]},
    ]
    assert has_note(web, "changed: /spec/template/spec/containers/0/image")
    text = run("new", "--from", "old", cwd=tmp_path).stdout
    assert "compared with --from old" in text
    assert "Deployment default/web  new/app.yaml:2 (was old/app.yaml:2)" in text
    assert "changed   /spec/template/spec/containers/0/image" in text
    assert "start    0   10     10         10" in text


def test_scale(tmp_path: Path) -> None:
    web = only(diff(tmp_path, DEPLOYMENT, DEPLOYMENT.replace("replicas: 10", "replicas: 20")))
    assert web["change"] == "scale"
    assert web["steps"] == [{"new": 20, "old": []}]
    assert has_note(web, "changed: /spec/replicas")
    text = run("new", "--from", "old", cwd=tmp_path).stdout
    assert "size      10 -> 20 replicas" in text
    assert "start   10    0     10         10" in text


def test_rollout_and_scale(tmp_path: Path) -> None:
    web = only(diff(tmp_path, DEPLOYMENT, NEW_IMAGE.replace("replicas: 10", "replicas: 4")))
    assert web["change"] == "rollout+scale"
    assert web["steps"][-1] == {"new": 4, "old": [0]}


def test_none(tmp_path: Path) -> None:
    relabelled = DEPLOYMENT.replace("  name: web\n", "  name: web\n  labels: {team: a}\n")
    web = only(diff(tmp_path, DEPLOYMENT, relabelled))
    assert web["change"] == "none"
    assert web["steps"] == []
    assert has_note(web, "changed: /metadata/labels")


def test_create_and_delete(tmp_path: Path) -> None:
    write(tmp_path / "old", web=DEPLOYMENT)
    write(tmp_path / "new", sts=STATEFULSET, svc=HEADLESS_SERVICE)
    doc = plan_json("new", "--from", "old", cwd=tmp_path)
    created = workload(doc, "StatefulSet", "web")
    assert created["change"] == "create"
    assert created["steps"] == [{"create": ["web-0"]}, {"create": ["web-1"]}, {"create": ["web-2"]}]
    assert created["pods"][2]["fqdn"] == "web-2.nginx.default.svc.cluster.local"
    deleted = workload(doc, "Deployment", "web")
    assert deleted["change"] == "delete"
    assert deleted["steps"] == []
    text = run("new", "--from", "old", cwd=tmp_path).stdout
    assert "Deployment default/web  old/web.yaml:2" in text
    assert "change    delete" in text


def test_statefulset_service_name_change_is_rejected(tmp_path: Path) -> None:
    service = HEADLESS_SERVICE.replace("name: nginx", "name: web-headless")
    new = STATEFULSET.replace("serviceName: nginx", "serviceName: web-headless")
    new = new.replace("nginx:1.27", "nginx:1.28") + "---\n" + service
    web = only(diff(tmp_path, STATEFULSET, new))
    assert web["change"] == "rollout"
    assert web["rejected"] is not None
    assert web["rejected"].startswith("spec.serviceName changed")
    assert web["steps"] == []
    # the refused update leaves the running Pods' identity as it was: no Service 'nginx'
    assert all(pod["subdomain"] == "nginx" and pod["fqdn"] is None for pod in web["pods"])
    text = run("new", "--from", "old", cwd=tmp_path).stdout
    assert "REJECTED  spec.serviceName changed" in text


def test_deployment_selector_change_is_rejected(tmp_path: Path) -> None:
    new = DEPLOYMENT.replace("{app: web}", "{app: web2}")
    web = only(diff(tmp_path, DEPLOYMENT, new))
    assert web["rejected"] is not None and "immutable" in web["rejected"]
    assert web["steps"] == []


def test_daemonset_rollout_with_nodes(tmp_path: Path) -> None:
    from tests.plan.test_cli_plan import NODES

    (tmp_path / "nodes.yaml").write_text(NODES)
    agent = only(
        diff(tmp_path, DAEMONSET, DAEMONSET.replace("agent:1", "agent:2"), "--nodes", "nodes.yaml")
    )
    assert agent["change"] == "rollout"
    assert agent["steps"][-1] == {"new": 2, "old": 0}
    assert [node["runs"] for node in agent["nodes"]] == [True, False, False, True]


def test_duplicates_warn_and_the_first_is_compared(tmp_path: Path) -> None:
    write(tmp_path / "old", a=DEPLOYMENT, b=DEPLOYMENT.replace("replicas: 10", "replicas: 2"))
    write(tmp_path / "new", app=DEPLOYMENT.replace("replicas: 10", "replicas: 5"))
    out = run("new", "--from", "old", cwd=tmp_path)
    assert out.returncode == 0
    assert (
        "kpolicy: warning: old/b.yaml:2: Deployment default/web is also in old/a.yaml:2"
        in out.stderr
    )
    assert "size      10 -> 5 replicas" in out.stdout


def test_examples_v2_against_examples() -> None:
    doc = plan_json("examples-v2", "--from", "examples")
    web = workload(doc, "Deployment", "web")
    assert web["change"] == "scale"
    assert web["replicas"] == 6
    agent = workload(doc, "DaemonSet", "node-agent")
    assert agent["change"] == "rollout"
    assert has_note(agent, "/spec/template/spec/containers/0/image")
    postgres = workload(doc, "StatefulSet", "postgres")
    assert postgres["rejected"] is not None and "spec.serviceName" in postgres["rejected"]
    assert postgres["steps"] == []
    cache = workload(doc, "StatefulSet", "cache")
    assert cache["change"] == "create"
    assert cache["steps"] == [{"create": ["cache-0", "cache-1", "cache-2"]}]
    assert cache["pods"][0]["fqdn"] == "cache-0.cache.shop.svc.cluster.local"
    # the planned files are never their own old version
    out = run("examples-v2", "--from", "examples")
    assert out.returncode == 0
    assert out.stderr == ""


# --- --base GIT_REV ---------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        [
            "git",
            "-c",
            "user.name=kpolicy",
            "-c",
            "user.email=kpolicy@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root / "deploy", web=DEPLOYMENT, sts=STATEFULSET, ds=DAEMONSET)
    (root / "deploy" / "notes.txt").write_text("not a manifest\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "v1")
    # the working tree: a new image, a scale, a new Service, the DaemonSet removed
    write(
        root / "deploy",
        web=NEW_IMAGE,
        sts=STATEFULSET.replace("replicas: 3", "replicas: 5"),
        svc=HEADLESS_SERVICE,
    )
    (root / "deploy" / "ds.yaml").unlink()
    return root


def test_base_compares_with_the_files_at_a_git_revision(repo: Path) -> None:
    doc = plan_json("deploy", "--base", "HEAD", cwd=repo)
    assert workload(doc, "Deployment", "web")["change"] == "rollout"
    sts = workload(doc, "StatefulSet", "web")
    assert sts["change"] == "scale"
    assert sts["steps"] == [{"create": ["web-3"]}, {"create": ["web-4"]}]
    assert sts["pods"][4]["fqdn"] == "web-4.nginx.default.svc.cluster.local"
    assert workload(doc, "DaemonSet", "agent")["change"] == "delete"
    text = run("deploy", "--base", "HEAD", cwd=repo).stdout
    assert "compared with git HEAD" in text
    assert "(was HEAD:deploy/web.yaml:2)" in text


def test_base_from_another_folder_and_one_file(repo: Path) -> None:
    # run outside the repository: git runs where the file is
    doc = plan_json("repo/deploy/web.yaml", "--base", "HEAD", cwd=repo.parent)
    assert [w["change"] for w in doc["workloads"]] == ["rollout"]


def test_base_after_a_commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v2")
    doc = plan_json("deploy", "--base", "HEAD~1", cwd=repo)
    assert workload(doc, "Deployment", "web")["change"] == "rollout"
    unchanged = plan_json("deploy", "--base", "HEAD", cwd=repo)
    assert {w["change"] for w in unchanged["workloads"]} == {"none"}


def test_base_with_a_file_new_since_the_revision(repo: Path) -> None:
    doc = plan_json("deploy/svc.yaml", "deploy/web.yaml", "--base", "HEAD", cwd=repo)
    assert [w["change"] for w in doc["workloads"]] == ["rollout"]


def test_base_errors(repo: Path, tmp_path: Path) -> None:
    bad_rev = run("deploy", "--base", "no-such-branch", cwd=repo)
    assert bad_rev.returncode == 2
    assert "kpolicy: error: --base 'no-such-branch' is not a commit" in bad_rev.stderr
    outside = tmp_path / "outside"
    write(outside, web=DEPLOYMENT)
    not_git = run("web.yaml", "--base", "HEAD", cwd=outside)
    assert not_git.returncode == 2
    assert "not in a git repository" in not_git.stderr
    assert "Traceback" not in not_git.stderr + bad_rev.stderr


def test_base_with_broken_yaml_in_the_old_version(repo: Path) -> None:
    (repo / "deploy" / "web.yaml").write_text("kind: [\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "broken")
    (repo / "deploy" / "web.yaml").write_text(DEPLOYMENT)
    out = run("deploy", "--base", "HEAD", "--format", "json", cwd=repo)
    assert out.returncode == 0, out.stderr
    assert "kpolicy: warning: HEAD:deploy/web.yaml:2:1: invalid YAML" in out.stderr
    assert "Traceback" not in out.stderr
