"""The workspace model in-process: the server's diagnostics are the CLI's, file by file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lsprotocol import types

from kpolicy.lsp.project import Buffer, Project, refusals_of
from kpolicy.model import Diagnostic, LoadedFile
from kpolicy.plan.command import workload_refusals
from kpolicy.workload import PLANNED_KINDS
from tests.conftest import CORPUS, ROOT
from tests.helpers import lint_paths
from tests.lsp.support import AGENT, DB, WEB, uri, write_workspace


def _key(d: Diagnostic, related: bool = True) -> tuple[object, ...]:
    return (
        d.rule,
        d.severity,
        d.message,
        d.span,
        d.path,
        d.object,
        tuple((r.file, r.span, r.message) for r in d.related) if related else (),
    )


def assert_same_as_cli(root: Path, related: bool = True) -> int:
    """Open each file the CLI reports on, alone, and compare; returns the findings compared."""
    expected: dict[str, list[tuple[object, ...]]] = {}
    cli = lint_paths(["."], root)
    for d in cli.diagnostics:
        expected.setdefault(d.file, []).append(_key(d, related))
    project = Project(root)
    project.load()
    compared = 0
    for display in sorted({*expected, *project._disk}):
        path = root / display
        target = Buffer(uri(root, display), 1, path.read_text(encoding="utf-8"))
        outcome = project.lint(target, {target.uri: target})
        assert [_key(d, related) for d in outcome.found] == expected.get(display, []), display
        assert len(outcome.published) == len(outcome.found)
        compared += len(outcome.found)
    return compared


def test_same_findings_as_the_cli_on_the_test_workspace(tmp_path: Path) -> None:
    assert assert_same_as_cli(write_workspace(tmp_path)) >= 2


def test_same_findings_as_the_cli_on_the_examples(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    assert assert_same_as_cli(tmp_path / "examples") > 0


@pytest.mark.slow
def test_same_findings_as_the_cli_on_the_corpus(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    shutil.copytree(CORPUS, tmp_path / "corpus")
    # the corpus has the same object in several files; which one a related location names
    # depends on the order of the index (the open file comes first in the server)
    assert assert_same_as_cli(tmp_path / "corpus", related=False) > 0


def test_open_buffers_replace_their_files_as_context(tmp_path: Path) -> None:
    root = write_workspace(tmp_path)
    project = Project(root)
    project.load()
    web = Buffer(uri(root, "apps/web.yaml"), 1, WEB)
    service_uri = uri(root, "apps/web-service.yaml")
    headless = Buffer(
        service_uri,
        3,
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {clusterIP: None, selector: {app: web}}\n",
    )
    buffers = {web.uri: web, headless.uri: headless}
    assert [d.rule for d in project.lint(web, {web.uri: web}).found] == [
        "statefulset-service-not-headless"
    ]
    assert project.lint(web, buffers).found == ()
    outcome = project.lint(headless, buffers)
    assert outcome.context_changed  # the StatefulSet's lint depends on it
    assert not project.lint(headless, buffers).context_changed
    assert project.close(service_uri)  # back to the file on disk


def test_untitled_buffers_and_other_languages(tmp_path: Path) -> None:
    project = Project(write_workspace(tmp_path))
    untitled = Buffer("untitled:Untitled-1", 1, AGENT)
    assert [d.rule for d in project.lint(untitled, {untitled.uri: untitled}).found] == [
        "rolling-update-invalid"
    ]
    markdown = Buffer(uri(tmp_path, "README.md"), 1, AGENT, "markdown")
    assert project.lint(markdown, {markdown.uri: markdown}).published == ()
    # a chart template, and the old version of a file in a diff editor
    for skipped in (
        Buffer(uri(tmp_path, "chart/templates/ds.yaml"), 1, AGENT, "helm"),
        Buffer("git:/ws/apps/agent.yaml?ref=HEAD", 1, AGENT),
    ):
        assert project.lint(skipped, {skipped.uri: skipped}).published == ()


def test_workspace_edit_without_document_changes(tmp_path: Path) -> None:
    root = write_workspace(tmp_path)
    project = Project(root)
    target = Buffer(uri(root, "apps/agent.yaml"), 4, AGENT)
    outcome = project.lint(target, {target.uri: target})
    pairs = list(zip(outcome.found, outcome.published, strict=True))
    for document_changes in (True, False):
        actions = project.code_actions(
            target, {target.uri: target}, pairs, document_changes=document_changes
        )
        assert [a.title.split(" (")[0] for a in actions] == [
            "Set maxUnavailable: 0",
            "Ignore rolling-update-invalid on this line",
        ]
        edit = actions[0].edit
        assert edit is not None
        if document_changes:
            assert edit.changes is None and edit.document_changes is not None
            change = edit.document_changes[0]
            assert isinstance(change, types.TextDocumentEdit)
            assert change.text_document.version == 4  # rejected by the editor if stale
        else:
            assert edit.document_changes is None
            assert edit.changes is not None and list(edit.changes) == [target.uri]


def test_hover_in_plain_text(tmp_path: Path) -> None:
    root = write_workspace(tmp_path)
    project = Project(root)
    target = Buffer(uri(root, "apps/db.yaml"), 1, DB)
    line = DB.splitlines().index("kind: StatefulSet")
    hover = project.hover(
        target, {target.uri: target}, types.Position(line=line, character=2), markdown=False
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.PlainText
    assert "`" not in hover.contents.value and "**" not in hover.contents.value
    assert "db-0.db.default.svc.cluster.local" in hover.contents.value
    assert hover.range == types.Range(
        start=types.Position(line=line, character=0),
        end=types.Position(line=line, character=len("kind: StatefulSet")),
    )


def test_hover_says_what_lint_says_the_api_server_rejects(tmp_path: Path) -> None:
    root = write_workspace(tmp_path)
    project = Project(root)
    target = Buffer(uri(root, "apps/agent.yaml"), 1, AGENT)
    line = AGENT.splitlines().index("kind: DaemonSet")
    hover = project.hover(target, {target.uri: target}, types.Position(line=line, character=2))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert "The API server rejects this workload as written:" in text
    assert "\\[rolling-update-invalid at apps/agent.yaml:11:17\\]" in text
    assert "Steps" not in text
    # fixed, the rollout is planned
    fixed = Buffer(
        target.uri,
        2,
        AGENT.replace("maxSurge: 1   # keep one extra", "maxSurge: 1\n      maxUnavailable: 0"),
    )
    hover = project.hover(fixed, {fixed.uri: fixed}, types.Position(line=line, character=2))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "Steps (one per controller sync)" in hover.contents.value


def test_invalid_config_is_reported_on_the_config_file(tmp_path: Path) -> None:
    root = write_workspace(tmp_path)
    config = root / ".kpolicy.yaml"
    config.write_text("rules:\n  statefulset-service-not-headless: off\n")
    logged: list[str] = []
    project = Project(root, lambda kind, message: logged.append(message))
    project.load()
    config.write_text("rules:\n  statefulset-service-not-headless: sometimes\n")
    assert not project.reload_config()
    assert any("invalid config" in m for m in logged)
    buffer = Buffer(uri(root, ".kpolicy.yaml"), 1, config.read_text())
    problems = project.lint(buffer, {buffer.uri: buffer}).published
    assert len(problems) == 1 and problems[0].code == "config-invalid"
    assert problems[0].range.start.line == 1
    assert "the last valid config stays in use" in problems[0].message
    message = project.config_message()
    assert message is not None and "the last valid config stays in use" in message
    # the last good config is still in use
    web = Buffer(uri(root, "apps/web.yaml"), 1, WEB)
    assert project.lint(web, {web.uri: web}).found == ()


def test_files_changed_on_disk(tmp_path: Path) -> None:
    root = write_workspace(tmp_path)
    project = Project(root)
    project.load()
    web = Buffer(uri(root, "apps/web.yaml"), 1, WEB)

    def rules() -> list[str]:
        return [d.rule for d in project.lint(web, {web.uri: web}).found]

    service = root / "apps/web-service.yaml"
    text = service.read_text()
    service.unlink()
    assert project.files_changed([(service, True)]) == (False, True)
    assert rules() == ["statefulset-service-not-found"]
    (root / "moved").mkdir()
    (root / "moved/svc.yaml").write_text(text)
    assert project.files_changed([(root / "moved", False)]) == (False, True)
    assert rules() == ["statefulset-service-not-headless"]
    # hidden folders and files outside the workspace are not context, as for the CLI
    (root / ".cache").mkdir()
    (root / ".cache/svc.yaml").write_text(text.replace("spec:\n", "spec:\n  clusterIP: None\n"))
    assert project.files_changed(
        [(root / ".cache/svc.yaml", False), (tmp_path.parent / "elsewhere.yaml", False)]
    ) == (False, False)
    (root / "moved/svc.yaml").unlink()
    assert project.files_changed([(root / "moved", True)]) == (False, True)
    assert rules() == ["statefulset-service-not-found"]


def test_a_workspace_opened_through_a_symbolic_link(tmp_path: Path) -> None:
    real = write_workspace(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    for root, opened in ((link, real), (real, link)):
        project = Project(root)
        project.load()
        agent = Buffer(uri(opened, "apps/agent.yaml"), 1, AGENT)
        assert project.display_of(agent.uri) == "apps/agent.yaml"
        # one object, not the buffer and the file on disk both
        assert [d.rule for d in project.lint(agent, {agent.uri: agent}).found] == [
            "rolling-update-invalid"
        ]


def test_the_baseline_is_read_again_when_it_changes(tmp_path: Path) -> None:
    """The config's baseline hides what it lists, as in the CLI; when the file changes on
    disk it is read again; a broken one is logged and the last good one stays in use."""
    from kpolicy.baseline import write_baseline

    root = write_workspace(tmp_path)
    (root / ".kpolicy.yaml").write_text("baseline: kpolicy-baseline.json\n")
    baseline = root / "kpolicy-baseline.json"
    write_baseline(baseline, lint_paths(["."], root, use_baseline=False).diagnostics, root)
    assert lint_paths(["."], root).diagnostics == ()  # the CLI: everything is baselined
    logged: list[str] = []
    project = Project(root, lambda kind, message: logged.append(message))
    project.load()
    web = Buffer(uri(root, "apps/web.yaml"), 1, WEB)

    def rules() -> list[str]:
        return [d.rule for d in project.lint(web, {web.uri: web}).found]

    assert rules() == []
    assert any(m.startswith("kpolicy: baseline kpolicy-baseline.json (") for m in logged)
    # the entry of web.yaml dropped: its finding is back
    data = json.loads(baseline.read_text())
    data["findings"] = [f for f in data["findings"] if f["file"] != "apps/web.yaml"]
    baseline.write_text(json.dumps(data))
    assert project.files_changed([(baseline, False)]) == (True, True)
    assert rules() == ["statefulset-service-not-headless"]
    # broken while being edited: logged, and the last good baseline stays
    baseline.write_text('{"version": 1,')
    assert project.files_changed([(baseline, False)]) == (True, True)
    assert rules() == ["statefulset-service-not-headless"]
    assert "invalid baseline" in logged[-1] and "previous baseline stays in use" in logged[-1]
    # a baseline is not a broken config: nothing is reported on the config file
    config = Buffer(uri(root, ".kpolicy.yaml"), 1, (root / ".kpolicy.yaml").read_text())
    assert project.lint(config, {config.uri: config}).published == ()
    # another JSON file changing is not the baseline
    (root / "other.json").write_text("{}")
    assert project.files_changed([(root / "other.json", False)]) == (False, False)
    # the config no longer names a baseline: every finding is back
    (root / ".kpolicy.yaml").write_text("rules: {}\n")
    assert project.files_changed([(root / ".kpolicy.yaml", False)])[0]
    assert rules() == ["statefulset-service-not-headless"]
    assert project.session is not None and project.session.baseline is None


# Workloads the API server refuses and ones it takes, in one file: a hover checks the hovered
# workload alone (kpolicy.lsp.project.refusals_of), which must say what the whole file's lint
# says of it.
MIXED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: other}
    spec:
      containers: [{name: web, image: web:1.0}]
---
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers: [{name: db, image: postgres:16}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  updateStrategy:
    rollingUpdate: {maxSurge: 1}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers: [{name: agent, image: agent:1.0}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: -1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: web:1.0}]
"""


def _refusals_alone_and_whole(project: Project, display: str, loaded: LoadedFile) -> int:
    """Assert that each workload of ``loaded`` checked alone is refused as the whole file's
    lint refuses it; the number of workloads refused."""
    assert project.session is not None
    whole = workload_refusals([loaded], [], project.session, project.repo, project.root)
    refused = 0
    for obj in loaded.objects:
        if obj.kind not in PLANNED_KINDS or obj.patch:
            continue
        alone = refusals_of(obj, loaded, [], project.session, project.repo, project.root)
        assert set(alone) <= {id(obj)}, display
        assert alone.get(id(obj), []) == whole.get(id(obj), []), (display, obj.ref)
        refused += id(obj) in whole
    return refused


def test_a_hover_checks_its_workload_alone_as_the_whole_file_would(tmp_path: Path) -> None:
    root = write_workspace(tmp_path)
    project = Project(root)
    target = Buffer(uri(root, "apps/mixed.yaml"), 1, MIXED)
    project.load()
    loaded = project.loaded(target)
    # the first Deployment (selector), the DaemonSet (maxSurge alone) and the second
    # Deployment (negative replicas) are refused; the StatefulSet is not
    assert _refusals_alone_and_whole(project, "mixed.yaml", loaded) == 3
    line = MIXED.splitlines().index("kind: DaemonSet")
    hover = project.hover(target, {target.uri: target}, types.Position(line=line, character=2))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "The API server rejects this workload as written:" in hover.contents.value


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the project")
def test_a_hover_checks_its_workload_alone_as_the_whole_file_would_on_the_corpus() -> None:
    project = Project(CORPUS)
    project.load()
    refused = 0
    for path in sorted(CORPUS.rglob("*.y*ml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        buffer = Buffer(path.as_uri(), 1, text)
        refused += _refusals_alone_and_whole(project, str(path), project.loaded(buffer))
    assert refused > 0  # the corpus has workloads the API server refuses: compared, not skipped
