"""kpolicy's benchmark: kpolicy lint against the YAML parser's own speed, in one run.

    python benchmarks/bench.py [FOLDER] [--scale 20] [--runs 3]

Builds the 1x input (FOLDER, default ../shared/corpus when present, else examples/) and an Nx
input (N copies of it, names changed so that nothing is deduplicated), then times, each as a
whole cold process:

- the floor: PyYAML's C composer (``yaml.compose_all`` with CSafeLoader) over the same files;
- ``kpolicy lint --format json --no-cache`` with every default rule and schema validation;
- a second, cached ``kpolicy lint`` on the unchanged 1x input;
- start-up: ``kpolicy lint`` on one small file.

It prints documents per second, the ratio to the floor, and peak memory (ru_maxrss of the
child). Absolute figures drift on shared machines; judge by the ratio measured in the same run.
No test asserts on these numbers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
SUFFIXES = (".yaml", ".yml", ".json")

FLOOR = """
import os, sys, yaml
count = 0
for top in sys.argv[1:]:
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                text = f.read()
            try:
                for node in yaml.compose_all(text, Loader=yaml.CSafeLoader):
                    count += node is not None
            except yaml.YAMLError:
                pass
print(count)
"""


def manifests(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file())


def build_input(source: Path, scale: int, target: Path) -> Path:
    """``scale`` copies of every manifest of ``source`` under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    files = manifests(source)
    for copy in range(scale):
        out = target / f"copy{copy:03d}"
        out.mkdir(exist_ok=True)
        for path in files:
            rel = path.relative_to(source)
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    return target


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall time, peak RSS of that child alone (KiB, from wait4) and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if child.returncode > 1:
            stderr = err.read().decode("utf-8", "replace")
            raise SystemExit(f"{' '.join(cmd)} failed ({child.returncode}):\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss, stdout


def best(cmd: list[str], cwd: Path, runs: int) -> tuple[float, int, str]:
    results = [timed(cmd, cwd) for _ in range(runs)]
    times = [r[0] for r in results]
    return statistics.median(times), max(r[1] for r in results), results[-1][2]


def kpolicy_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "kpolicy", "lint", "--format", "json", "--fail-on", "never", *args]


def supports(flag: str) -> bool:
    out = subprocess.run(kpolicy_cmd("--help"), capture_output=True, text=True)
    return flag in out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    source = args.folder or (DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else ROOT / "examples")
    no_cache = ["--no-cache"] if supports("--no-cache") else []
    with tempfile.TemporaryDirectory(prefix="kpolicy-bench-") as tmp:
        work = Path(tmp)
        one = build_input(source, 1, work / "x1")
        many = build_input(source, args.scale, work / f"x{args.scale}")
        print(f"input: {source} ({len(manifests(one))} files); scale {args.scale}x; "
              f"{args.runs} runs each, median; {os.cpu_count()} cores")
        rows = []
        for label, folder in (("1x", one), (f"{args.scale}x", many)):
            floor_t, floor_mem, count = best([sys.executable, "-c", FLOOR, str(folder)], work, args.runs)
            docs = int(count.strip() or 0)
            lint_t, lint_mem, _ = best(kpolicy_cmd(*no_cache, str(folder)), work, args.runs)
            rows.append((label, docs, floor_t, lint_t, lint_mem))
            print(
                f"{label:>4}: {docs} documents | floor (C composer) {floor_t:.2f}s = "
                f"{docs / floor_t:,.0f} docs/s | kpolicy {lint_t:.2f}s = {docs / lint_t:,.0f} docs/s"
                f" | ratio {lint_t / floor_t:.2f}x | kpolicy peak RSS {lint_mem / 1024:.0f} MB"
            )
        if len(rows) == 2:
            per_doc = [r[3] / max(r[1], 1) for r in rows]
            print(f"throughput flatness (time per document, {args.scale}x / 1x): "
                  f"{per_doc[1] / per_doc[0]:.2f}")
        if no_cache:
            timed(kpolicy_cmd(str(one)), work)  # fills the cache
            cached_t, _, _ = best(kpolicy_cmd(str(one)), work, args.runs)
            cold_t = rows[0][3]
            print(f"cached second run (1x): {cached_t:.2f}s = {cached_t / cold_t:.2f} of the cold run")
        small = ROOT / "examples" / "web.yaml"
        start_t, _, _ = best([*kpolicy_cmd(*no_cache), str(small)], work, max(args.runs, 5))
        print(f"start-up (one small file): {start_t:.3f}s")


if __name__ == "__main__":
    main()
