"""The language server as an editor uses it: a real server process over stdio."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.support import (
    AGENT,
    API,
    DB,
    WEB,
    WEB_SERVICE,
    WORKFLOW,
    Client,
    apply_text_edits,
    edits_by_uri,
    only,
    position_of,
    range_of,
    rules_of,
    uri,
    utf16,
)

pytestmark = pytest.mark.asyncio

SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}

# a StatefulSet whose serviceName is not a DNS label, after a comment and a value with
# characters outside the BMP: the columns differ in code points and UTF-16 code units
EMOJI = """\
apiVersion: apps/v1   # 🚀 ünïcödé
kind: StatefulSet
metadata:
  name: emoji
  annotations: {note: "🚀🚀"}
spec:
  serviceName: "🚀-Web"  # 🚀
  selector:
    matchLabels: {app: emoji}
  template:
    metadata:
      labels: {app: emoji}
    spec:
      containers:
        - name: c
          image: nginx:1.25
"""


def cli_json(workspace: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "kpolicy", "lint", "-f", "json", "."],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return list(json.loads(done.stdout)["diagnostics"])


async def test_initialize_advertises_features(fresh_client: Client, workspace: Path) -> None:
    from tests.lsp.support import initialize

    result = await initialize(fresh_client, workspace)
    capabilities = result.capabilities
    assert result.server_info is not None and result.server_info.name == "kpolicy"
    assert capabilities.hover_provider
    assert isinstance(capabilities.code_action_provider, types.CodeActionOptions)
    assert list(capabilities.code_action_provider.code_action_kinds or ()) == ["quickfix"]
    sync = capabilities.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert sync.open_close
    assert capabilities.position_encoding in (None, types.PositionEncodingKind.Utf16)
    # VS Code can watch files for the server: it asks to be told about manifests and config
    await fresh_client.open(uri(workspace, "apps/api.yaml"), API)
    await fresh_client.shutdown_session()
    globs = [
        w["globPattern"]
        for r in fresh_client.registrations
        if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        for w in r.register_options["watchers"]  # type: ignore[index]
    ]
    assert "**/.kpolicy.yaml" in globs


async def test_diagnostics_match_the_cli_with_utf16_ranges(client: Client, workspace: Path) -> None:
    (workspace / "apps/emoji.yaml").write_text(EMOJI, encoding="utf-8")
    target = uri(workspace, "apps/emoji.yaml")
    found = await client.open(target, EMOJI)

    expected = [d for d in cli_json(workspace) if d["file"] == "apps/emoji.yaml"]
    assert expected, "the fixture must have findings"
    assert rules_of(found) == sorted(str(d["rule"]) for d in expected)
    lines = EMOJI.splitlines()
    for cli in expected:
        lsp = next(d for d in found if d.code == cli["rule"] and d.message == cli["message"])
        assert lsp.severity == SEVERITY[str(cli["severity"])]
        assert lsp.source == "kpolicy"
        assert lsp.code_description is not None
        assert lsp.code_description.href.endswith(f"#{cli['rule']}")
        line, column = int(cli["line"]), int(cli["column"])  # type: ignore[call-overload]
        end_line, end_column = int(cli["endLine"]), int(cli["endColumn"])  # type: ignore[call-overload]
        assert lsp.range.start == types.Position(
            line=line - 1, character=utf16(lines[line - 1][: column - 1])
        )
        end_text = lines[end_line - 1]
        assert lsp.range.end == types.Position(
            line=end_line - 1, character=utf16(end_text[: min(end_column - 1, len(end_text))])
        )

    invalid = only(found, "statefulset-service-name-invalid")
    assert invalid.range == range_of(EMOJI, '"🚀-Web"')  # 8 UTF-16 code units, 7 code points


async def test_edit_clears_and_restores_diagnostics(client: Client, workspace: Path) -> None:
    target = uri(workspace, "apps/agent.yaml")
    found = await client.open(target, AGENT)
    surge = only(found, "rolling-update-invalid")
    start = position_of(AGENT, "1   # keep")
    one = types.Range(
        start=start, end=types.Position(line=start.line, character=start.character + 1)
    )
    assert surge.range == one

    # an incremental change: maxSurge 1 → 0 leaves maxUnavailable's default alone
    since = client.mark()
    version = client.change_range(target, one, "0")
    assert client.texts[target] == AGENT.replace("maxSurge: 1", "maxSurge: 0")
    assert await client.wait_diagnostics(target, version=version, since=since) == []

    again = await client.edit(target, AGENT)
    assert rules_of(again) == ["rolling-update-invalid"]


async def test_typing_bursts_are_coalesced_to_the_last_version(
    fresh_client: Client, workspace: Path
) -> None:
    from tests.lsp.support import initialize

    client = fresh_client
    await initialize(client, workspace, debounce_ms=None)  # the default: no fixed pause
    target = uri(workspace, "apps/agent.yaml")
    await client.open(target, AGENT)
    since = client.mark()
    for _ in range(5):
        client.change(target, AGENT.replace("maxSurge: 1", "maxSurge: 0"))
    last = client.change(target, AGENT.replace("maxSurge: 1", "maxSurge: 0"))
    assert await client.wait_diagnostics(target, version=last, since=since) == []
    published = [
        p.version for p in client.published[since:] if p.uri == target and p.version is not None
    ]
    # a lint starts at once when the server is idle, so the first versions of the burst may
    # be published as they arrive; the edits that arrive while a lint runs are linted together,
    # once, at their latest version; never an older version after a newer one (how many are
    # published depends on how the edits and the lints interleave)
    assert published[-1] == last
    assert published == sorted(set(published))


async def test_edits_during_a_lint_are_linted_once_at_their_latest_version(
    slow_client: Client, workspace: Path
) -> None:
    """No fixed pause: the open is linted at once; the burst of edits that arrives while that
    lint runs (half a second, in this server) gives one lint more, of the last version, and the
    result of the first lint, stale by then, is never published."""
    from tests.lsp.support import initialize

    client = slow_client
    await initialize(client, workspace, debounce_ms=None)
    target = uri(workspace, "apps/agent.yaml")
    since = client.mark()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=target, language_id="yaml", version=1, text=AGENT
            )
        )
    )
    client.versions[target] = 1
    client.texts[target] = AGENT
    for _ in range(5):
        client.change(target, AGENT)
    last = client.change(target, AGENT.replace("maxSurge: 1", "maxSurge: 0"))
    assert await client.wait_diagnostics(target, version=last, since=since) == []
    assert [p.version for p in client.published[since:] if p.uri == target] == [last]


async def test_broken_buffer_gives_yaml_syntax_and_the_server_stays(
    client: Client, workspace: Path
) -> None:
    target = uri(workspace, "apps/api.yaml")
    assert await client.open(target, API) == []
    broken = API.replace("  replicas: 4\n", "  replicas: [4\n")
    found = await client.edit(target, broken)
    assert rules_of(found) == ["yaml-syntax"]
    assert found[0].severity == types.DiagnosticSeverity.Error
    # half-typed text of every kind: never a crash
    for text in (
        "apiVersion: v1\nkind: Service\nmetadata: {name: x\n",
        "\t- :\n",
        "---\n- a\n",
        "apiVersion: apps/v1\nkind: Deployment\n\udc80\n",
        "",
    ):
        await client.edit(target, text)
    assert await client.edit(target, API) == []
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=target),
            position=position_of(API, "Deployment"),
        )
    )
    assert hover is not None


async def test_yaml_that_is_not_a_manifest_is_left_alone(client: Client, workspace: Path) -> None:
    target = uri(workspace, "ci/workflow.yaml")
    assert await client.open(target, WORKFLOW) == []
    assert await client.edit(target, WORKFLOW + "  extra: {a: 1, a: 2}\n") == []
    # a plain text file sent by a client that forwards everything
    notes = uri(workspace, "notes.txt")
    assert await client.open(notes, "apiVersion: [\n", language="plaintext") == []


async def test_cross_file_service_and_refresh_of_dependents(
    client: Client, workspace: Path
) -> None:
    web = uri(workspace, "apps/web.yaml")
    service = uri(workspace, "apps/web-service.yaml")
    found = await client.open(web, WEB)
    headless = only(found, "statefulset-service-not-headless")
    assert headless.range == range_of(WEB, "web", occurrence=1)  # spec.serviceName's value
    assert headless.related_information is not None
    related = headless.related_information[0]
    assert related.location.uri == service
    assert related.location.range.start == position_of(WEB_SERVICE, "spec:")

    # the Service's buffer, not its file on disk, is the context once it is open
    assert await client.open(service, WEB_SERVICE) == []
    since = client.mark()
    client.change(service, WEB_SERVICE.replace("spec:\n", "spec:\n  clusterIP: None\n"))
    assert await client.wait_diagnostics(web, since=since) == []

    # renamed away: the StatefulSet's Service is gone
    since = client.mark()
    client.change(service, WEB_SERVICE.replace("name: web", "name: www"))
    assert rules_of(await client.wait_diagnostics(web, since=since)) == [
        "statefulset-service-not-found"
    ]

    # closed: the file on disk (not headless) is the context again
    since = client.mark()
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=service))
    )
    assert await client.wait_diagnostics(service, since=since) == []
    assert rules_of(await client.wait_diagnostics(web, since=since)) == [
        "statefulset-service-not-headless"
    ]


async def test_hover_shows_the_rollout_plan_and_pod_dns_names(
    client: Client, workspace: Path
) -> None:
    target = uri(workspace, "apps/db.yaml")
    await client.open(target, DB)
    # on the kind and on the name of the StatefulSet (the second document)
    for position in (position_of(DB, "StatefulSet"), position_of(DB, "name: db", occurrence=1)):
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=target), position=position
            )
        )
        assert hover is not None, position
        assert isinstance(hover.contents, types.MarkupContent)
        text = hover.contents.value
        assert "StatefulSet `db`" in text
        assert "at most 2 Pods" in text and "at least 1 available" in text
        assert "delete db-1" in text
        assert "`db-0.db.default.svc.cluster.local`" in text
        assert "`db-1.db.default.svc.cluster.local`" in text
    # the Service's kind line and a line of the pod template: no hover
    for position in (position_of(DB, "Service"), position_of(DB, "image")):
        assert (
            await client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=target), position=position
                )
            )
            is None
        )

    api = uri(workspace, "apps/api.yaml")
    await client.open(api, API)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=api),
            position=position_of(API, "name: api"),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "Deployment `api`" in hover.contents.value
    assert "maxSurge 1" in hover.contents.value  # 25% of 4, rounded up
    assert "new ReplicaSet" in hover.contents.value


async def _actions(
    client: Client, target: str, diagnostic: types.Diagnostic
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=target),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def _titled(actions: list[types.CodeAction], start: str) -> types.CodeAction:
    chosen = [a for a in actions if a.title.startswith(start)]
    assert len(chosen) == 1, [a.title for a in actions]
    return chosen[0]


async def test_ignore_action_adds_a_directive(client: Client, workspace: Path) -> None:
    target = uri(workspace, "apps/agent.yaml")
    diagnostic = only(await client.open(target, AGENT), "rolling-update-invalid")
    action = _titled(await _actions(client, target, diagnostic), "Ignore rolling-update-invalid")
    assert action.kind == types.CodeActionKind.QuickFix
    assert list(action.diagnostics or ()) == [diagnostic]
    assert action.edit is not None
    edits = edits_by_uri(action.edit)
    assert list(edits) == [target]
    fixed = apply_text_edits(AGENT, edits[target])
    assert "maxSurge: 1   # keep one extra  # kpolicy: ignore[rolling-update-invalid]\n" in fixed
    assert await client.edit(target, fixed) == []

    # a directive for another rule on that line gets the rule added
    other = AGENT.replace("# keep one extra", "# keep one extra  # kpolicy: ignore[value-negative]")
    diagnostic = only(await client.edit(target, other), "rolling-update-invalid")
    action = _titled(await _actions(client, target, diagnostic), "Ignore rolling-update-invalid")
    assert action.edit is not None
    merged = apply_text_edits(other, edits_by_uri(action.edit)[target])
    assert merged == other.replace("[value-negative]", "[value-negative,rolling-update-invalid]")
    # value-negative has nothing to suppress there: only that part of the directive is left
    left = await client.edit(target, merged)
    assert [d.code for d in left] == ["unused-suppression"]
    assert left[0].message.startswith(
        "comment 'kpolicy: ignore[value-negative, rolling-update-invalid]' is partly unused: "
        "value-negative reports nothing"
    )


async def test_daemonset_quick_fix_sets_max_unavailable(client: Client, workspace: Path) -> None:
    target = uri(workspace, "apps/agent.yaml")
    diagnostic = only(await client.open(target, AGENT), "rolling-update-invalid")
    actions = await _actions(client, target, diagnostic)
    fix = _titled(actions, "Set maxUnavailable: 0")
    assert fix.is_preferred
    assert actions[0] is fix or actions[0].title == fix.title  # quick fixes come first
    assert fix.edit is not None
    fixed = apply_text_edits(AGENT, edits_by_uri(fix.edit)[target])
    assert fixed == AGENT.replace(
        "      maxSurge: 1   # keep one extra\n",
        "      maxUnavailable: 0\n      maxSurge: 1   # keep one extra\n",
    )
    assert await client.edit(target, fixed) == []


async def test_headless_quick_fix_edits_the_service_file(client: Client, workspace: Path) -> None:
    web = uri(workspace, "apps/web.yaml")
    service = uri(workspace, "apps/web-service.yaml")
    diagnostic = only(await client.open(web, WEB), "statefulset-service-not-headless")
    fix = _titled(await _actions(client, web, diagnostic), "Make Service 'web' headless")
    assert fix.edit is not None and fix.edit.document_changes
    edits = edits_by_uri(fix.edit)
    assert list(edits) == [service]
    fixed = apply_text_edits(WEB_SERVICE, edits[service])
    assert fixed == WEB_SERVICE.replace(
        "  # the Pods of the StatefulSet\n", "  # the Pods of the StatefulSet\n  clusterIP: None\n"
    ) or fixed == WEB_SERVICE.replace("spec:\n", "spec:\n  clusterIP: None\n")

    # the editor saves the Service file and tells the server
    (workspace / "apps/web-service.yaml").write_text(fixed, encoding="utf-8")
    since = client.mark()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=service, type=types.FileChangeType.Changed)]
        )
    )
    assert await client.wait_diagnostics(web, since=since) == []


async def test_config_reload_on_watched_change_and_on_save(client: Client, workspace: Path) -> None:
    web = uri(workspace, "apps/web.yaml")
    assert "statefulset-service-not-headless" in rules_of(await client.open(web, WEB))

    config = workspace / ".kpolicy.yaml"
    config.write_text("rules:\n  statefulset-service-not-headless: off\n", encoding="utf-8")
    since = client.mark()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(
                    uri=uri(workspace, ".kpolicy.yaml"), type=types.FileChangeType.Created
                )
            ]
        )
    )
    assert await client.wait_diagnostics(web, since=since) == []

    # edited in the editor: a broken config is reported on the config file, the last good
    # config stays in use
    config_uri = uri(workspace, ".kpolicy.yaml")
    assert await client.open(config_uri, config.read_text()) == []
    config.write_text("rules:\n  no-such-rule: error\n", encoding="utf-8")
    since = client.mark()
    client.change(config_uri, config.read_text())
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=config_uri))
    )
    problems = await client.wait_diagnostics(config_uri, since=since, until=bool)
    assert [p.code for p in problems] == ["config-invalid"]
    assert "no-such-rule" in problems[0].message
    assert problems[0].range.start.line == 1
    assert await client.wait_diagnostics(web, since=since) == []

    config.write_text("rules:\n  statefulset-service-not-headless: warning\n", encoding="utf-8")
    since = client.mark()
    client.change(config_uri, config.read_text())
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=config_uri))
    )
    found = await client.wait_diagnostics(web, since=since, until=bool)
    assert only(found, "statefulset-service-not-headless").severity == (
        types.DiagnosticSeverity.Warning
    )
    assert await client.wait_diagnostics(config_uri, since=since, until=lambda d: not d) == []


async def test_an_invalid_config_at_start_is_shown_and_nothing_is_linted(
    fresh_client: Client, workspace: Path
) -> None:
    import asyncio

    from kpolicy.versions import SUPPORTED_VERSIONS
    from tests.lsp.support import initialize

    config = workspace / ".kpolicy.yaml"
    config.write_text("failOn: error\nkubernetesVersion: '1.20'\n", encoding="utf-8")
    config_uri = uri(workspace, ".kpolicy.yaml")
    since = fresh_client.mark()
    await initialize(fresh_client, workspace)
    # on the config file, open or not, at the offending line
    problems = await fresh_client.wait_diagnostics(config_uri, since=since, until=bool)
    assert [p.code for p in problems] == ["config-invalid"]
    assert "unsupported kubernetesVersion '1.20'" in problems[0].message
    assert "nothing is linted until it is fixed" in problems[0].message
    assert problems[0].range.start == types.Position(line=1, character=19)
    assert problems[0].range.end == types.Position(line=1, character=25)  # the line's end
    for _ in range(100):  # the message follows the diagnostics
        if fresh_client.messages:
            break
        await asyncio.sleep(0.05)
    assert [m.type for m in fresh_client.messages] == [types.MessageType.Error]
    assert fresh_client.messages[0].message.startswith("kpolicy: invalid config: ")
    assert fresh_client.messages[0].message.endswith(
        ".kpolicy.yaml:2: unsupported kubernetesVersion '1.20'; supported: "
        f"{SUPPORTED_VERSIONS[0]} to {SUPPORTED_VERSIONS[-1]} (nothing is linted until it is "
        "fixed)"
    )
    # a manifest is not linted with the defaults: it says why instead
    web = uri(workspace, "apps/web.yaml")
    found = await fresh_client.open(web, WEB)
    assert [d.code for d in found] == ["config-invalid"]
    assert found[0].message.startswith("not linted: the kpolicy config is invalid")
    assert (
        found[0].related_information and found[0].related_information[0].location.uri == config_uri
    )
    # fixed on disk: the problem goes, and the manifest is linted
    config.write_text("failOn: error\nkubernetesVersion: '1.33'\n", encoding="utf-8")
    since = fresh_client.mark()
    fresh_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config_uri, type=types.FileChangeType.Changed)]
        )
    )
    assert await fresh_client.wait_diagnostics(config_uri, since=since, until=lambda d: not d) == []
    found = await fresh_client.wait_diagnostics(web, since=since, until=bool)
    assert "statefulset-service-not-headless" in rules_of(found)
    await fresh_client.shutdown_session()


async def test_diagnostic_messages_are_escaped(client: Client, workspace: Path) -> None:
    hostile = AGENT.replace("  name: agent\n", '  name: "agent\\e[2J\\u202e"\n', 1)
    found = await client.open(uri(workspace, "apps/agent.yaml"), hostile)
    assert found
    for diagnostic in found:
        assert "\x1b" not in diagnostic.message and "\u202e" not in diagnostic.message
    assert any("\\x1b[2J\\u202e" in d.message for d in found)


async def test_the_baseline_is_watched_like_the_config(client: Client, workspace: Path) -> None:
    web = uri(workspace, "apps/web.yaml")
    assert "statefulset-service-not-headless" in rules_of(await client.open(web, WEB))
    listed = [d for d in cli_json(workspace) if d["file"] == "apps/web.yaml"]
    entry = {
        "file": "apps/web.yaml",
        "rule": "statefulset-service-not-headless",
        "object": {"kind": "StatefulSet", "namespace": None, "name": "web"},
        "path": next(d["path"] for d in listed if d["rule"] == "statefulset-service-not-headless"),
        "message": next(
            d["message"] for d in listed if d["rule"] == "statefulset-service-not-headless"
        ),
        "fingerprint": "0" * 32,
    }
    baseline = workspace / "kpolicy-baseline.json"
    baseline.write_text(json.dumps({"version": 1, "findings": [entry]}), encoding="utf-8")
    (workspace / ".kpolicy.yaml").write_text("baseline: kpolicy-baseline.json\n", encoding="utf-8")

    def changed(name: str) -> None:
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(uri=uri(workspace, name), type=types.FileChangeType.Changed)
                ]
            )
        )

    since = client.mark()
    changed(".kpolicy.yaml")
    assert "statefulset-service-not-headless" not in rules_of(
        await client.wait_diagnostics(web, since=since)
    )
    # the baseline shrinks (written again, or edited): the finding is back
    baseline.write_text(json.dumps({"version": 1, "findings": []}), encoding="utf-8")
    since = client.mark()
    changed("kpolicy-baseline.json")
    found = await client.wait_diagnostics(web, since=since, until=bool)
    assert "statefulset-service-not-headless" in rules_of(found)
    # saved from the editor
    baseline.write_text(json.dumps({"version": 1, "findings": [entry]}), encoding="utf-8")
    since = client.mark()
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(workspace, "kpolicy-baseline.json"))
        )
    )
    assert "statefulset-service-not-headless" not in rules_of(
        await client.wait_diagnostics(web, since=since)
    )


async def test_excluded_files_are_neither_linted_nor_context(
    fresh_client: Client, workspace: Path
) -> None:
    from tests.lsp.support import initialize

    (workspace / ".kpolicy.yaml").write_text("exclude: [apps/web-service.yaml, legacy]\n")
    (workspace / "legacy").mkdir()
    (workspace / "legacy/old.yaml").write_text(AGENT)
    await initialize(fresh_client, workspace)
    web = uri(workspace, "apps/web.yaml")
    assert "statefulset-service-not-found" in rules_of(await fresh_client.open(web, WEB))
    assert await fresh_client.open(uri(workspace, "legacy/old.yaml"), AGENT) == []
    await fresh_client.shutdown_session()


async def test_rule_declared_fix_becomes_a_workspace_edit(
    fix_client: Client, workspace: Path
) -> None:
    from tests.lsp.fix_server import FIX_TITLE

    paused = API.replace("  replicas: 4\n", "  replicas: 4\n  paused: true   # 🚀 hold\n")
    target = uri(workspace, "apps/api.yaml")
    diagnostic = only(await fix_client.open(target, paused), "deployment-paused")
    actions = await _actions(fix_client, target, diagnostic)
    assert [a.title for a in actions] == [FIX_TITLE, "Ignore deployment-paused on this line"]
    fix = actions[0]
    assert not fix.is_preferred  # the rule marked it unsafe
    assert fix.edit is not None
    assert apply_text_edits(paused, edits_by_uri(fix.edit)[target]) == API
    assert await fix_client.edit(target, API) == []


async def test_module_entry_point(workspace: Path) -> None:
    """``python -m kpolicy.lsp`` is the same server as ``kpolicy lsp``."""
    from tests.lsp.conftest import finish
    from tests.lsp.support import initialize, make_client

    client = make_client()
    await client.start_io(sys.executable, "-m", "kpolicy.lsp")
    try:
        await initialize(client, workspace)
        found = await client.open(uri(workspace, "apps/agent.yaml"), AGENT)
        assert rules_of(found) == ["rolling-update-invalid"]
    finally:
        await finish(client)
        await client.stop()


async def test_neovim_gets_utf8_positions_and_plain_edits(
    fresh_client: Client, workspace: Path
) -> None:
    """Neovim offers UTF-8 positions first and takes ``changes`` rather than versioned edits."""
    from tests.lsp.support import initialize

    result = await initialize(fresh_client, workspace, client_name="neovim@v0.11.0")
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    target = uri(workspace, "apps/emoji.yaml")
    invalid = only(await fresh_client.open(target, EMOJI), "statefulset-service-name-invalid")
    line = EMOJI.splitlines()[6]
    start = line.index('"🚀-Web"')
    assert invalid.range == types.Range(
        start=types.Position(line=6, character=len(line[:start].encode())),
        end=types.Position(line=6, character=len(line[: start + 7].encode())),
    )
    action = _titled(
        await _actions(fresh_client, target, invalid), "Ignore statefulset-service-name-invalid"
    )
    assert action.edit is not None and action.edit.document_changes is None
    assert action.edit.changes is not None
    (edit,) = action.edit.changes[target]
    assert edit.range.start == types.Position(line=6, character=len(line.encode()))
