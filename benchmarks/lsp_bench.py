"""Time from a ``didChange`` to the ``publishDiagnostics`` for it, on a 1,000-line file.

Runs the real server (``python -m kpolicy.lsp``) over stdio, opens a multi-document manifest of
about 1,000 lines in a small workspace, then sends whole-document changes one at a time and
waits for the diagnostics of each version. Prints the median over the runs, once with the
default (what an editor sees) and once with a 200 ms debounce (the old default).

    .venv/bin/python benchmarks/lsp_bench.py [--runs 15] [--lines 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-{n}
  labels: {{app: api-{n}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: api-{n}}}
  strategy:
    rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}
  template:
    metadata:
      labels: {{app: api-{n}}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.{n}
          ports: [{{containerPort: 8080}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
---
"""

STATEFULSET = """\
apiVersion: v1
kind: Service
metadata:
  name: db-{n}
spec:
  clusterIP: None
  selector: {{app: db-{n}}}
  ports: [{{port: 5432}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db-{n}
spec:
  serviceName: db-{n}
  replicas: {replicas}
  selector:
    matchLabels: {{app: db-{n}}}
  template:
    metadata:
      labels: {{app: db-{n}}}
    spec:
      containers:
        - name: postgres
          image: postgres:16
---
"""

DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent-{n}
spec:
  selector:
    matchLabels: {{app: agent-{n}}}
  updateStrategy:
    rollingUpdate:
      maxSurge: {replicas}  # a mistake: maxUnavailable defaults to 1
  template:
    metadata:
      labels: {{app: agent-{n}}}
    spec:
      containers:
        - name: agent
          image: agent:1.{n}
---
"""


def manifest(lines: int, replicas: int) -> str:
    """A multi-document file of about ``lines`` lines: Deployments, Services, StatefulSets,
    and DaemonSets with a finding each."""
    parts: list[str] = []
    count = 0
    n = 0
    while count < lines:
        template = (DEPLOYMENT, STATEFULSET, DAEMONSET)[n % 3]
        part = template.format(n=n, replicas=replicas)
        parts.append(part)
        count += part.count("\n")
        n += 1
    return "".join(parts)


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("lsp-bench", "1")
        self.waiting: dict[int, asyncio.Future[float]] = {}
        self.found = 0

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            future = self.waiting.pop(params.version or -1, None)
            if future is not None and not future.done():
                self.found = len(params.diagnostics)
                future.set_result(time.perf_counter())

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            pass


@dataclass
class Measured:
    times: list[float]  # didChange → publishDiagnostics, seconds
    hovers: list[float]  # hover request → answer, seconds
    lines: int
    found: int  # diagnostics in the last publication


def hover_position(text: str) -> types.Position:
    """Where a hover shows something: the ``kind`` of the last Deployment (its rollout plan)."""
    lines = text.splitlines()
    for number in range(len(lines) - 1, -1, -1):
        if lines[number] == "kind: Deployment":
            return types.Position(line=number, character=len("kind: De"))
    return types.Position(line=0, character=0)


async def measure(lines: int, runs: int, debounce_ms: int | None) -> Measured:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "other.yaml").write_text(manifest(200, 2), encoding="utf-8")
        path = root / "big.yaml"
        text = manifest(lines, 3)
        path.write_text(text, encoding="utf-8")
        uri = from_fs_path(str(path)) or ""
        client = Client()
        await client.start_io(sys.executable, "-m", "kpolicy.lsp")
        options = {"debounceMs": debounce_ms} if debounce_ms is not None else None
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=from_fs_path(str(root)),
                initialization_options=options,
            )
        )
        client.initialized(types.InitializedParams())
        loop = asyncio.get_running_loop()
        first = loop.create_future()
        client.waiting[1] = first
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="yaml", version=1, text=text
                )
            )
        )
        await asyncio.wait_for(first, 60)
        times: list[float] = []
        for run in range(runs):
            version = run + 2
            new_text = manifest(lines, 3 + (run % 2))  # every replicas line changes
            done = loop.create_future()
            client.waiting[version] = done
            start = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)],
                )
            )
            times.append(await asyncio.wait_for(done, 60) - start)
        hovers: list[float] = []
        position = hover_position(new_text)
        for _ in range(runs):
            start = time.perf_counter()
            answer = await asyncio.wait_for(
                client.text_document_hover_async(
                    types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=uri), position=position
                    )
                ),
                60,
            )
            hovers.append(time.perf_counter() - start)
            if answer is None:
                raise SystemExit(f"no hover at {position}: the benchmark measures nothing")
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        return Measured(times, hovers, text.count("\n"), client.found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    for label, debounce in (("default (no fixed pause)", None), ("debounceMs 200", 200)):
        result = asyncio.run(measure(args.lines, args.runs, debounce))
        times = result.times
        median = statistics.median(times) * 1000
        print(
            f"didChange → publishDiagnostics, {result.lines}-line multi-document file, {label}: "
            f"median {median:.0f} ms over {len(times)} runs "
            f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}; "
            f"{result.found} diagnostics); hover median "
            f"{statistics.median(result.hovers) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
