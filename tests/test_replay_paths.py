"""The replay's shortcuts give the general answer (kpolicy.cache._absolute_paths)."""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import kpolicy.cache as cache_module

# normal relative paths (as a folder walk makes them): joined, not normalised
PLAIN = ["a", "a/b.yaml", "a.b/c..d/e.yml", "x-1/_y/z.json", "a../b"]
# anything else: normalised as abspath does
OTHER = [
    "./a",
    "a/./b",
    "a/../b",
    "a/.hidden/c",
    "a//b",
    "a/",
    ".x",
    "..",
    "/a/b",
    "/a/../b",
    "...a",
]


@pytest.mark.skipif(os.name == "nt", reason="abspath there is the system's")
@pytest.mark.parametrize("path", PLAIN + OTHER)
def test_absolute_paths_equal_abspath_and_skip_normpath_only_for_plain_ones(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    normalised: list[str] = []
    real = os.path.normpath

    def counted(value: str) -> str:
        normalised.append(value)
        return real(value)

    for folder in (tmp_path, Path("/")):
        monkeypatch.chdir(folder)
        expected = os.path.abspath(path)
        monkeypatch.setattr(os.path, "normpath", counted)
        normalised.clear()
        assert cache_module._absolute_paths()(path) == expected
        assert bool(normalised) == (path in OTHER), (path, folder)
        monkeypatch.undo()


class _Text(io.TextIOWrapper):
    """A text stream that records the texts written to it."""

    texts: list[str]

    def write(self, text: str) -> int:
        self.texts.append(text)
        return super().write(text)


@pytest.mark.parametrize("encoding", ["utf-8", "ascii", "latin-1", "utf-16"])
@pytest.mark.parametrize("process_stdout", [True, False])
def test_an_ascii_report_is_written_as_bytes_with_the_texts_result(
    encoding: str, process_stdout: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ASCII report goes to the process's stdout buffer as it was read, in one write,
    when that writes what its text would; else (another stream, another encoding) as text.
    Either way the same bytes as the report's text written to that stream."""
    report = '{"findings": [\n  {"rule": "x", "message": "a \\"b\\""}\n]}\n' * 50
    outputs: dict[str, object] = {"stderr": "1 finding\n", "exit": 1, "to_file": False}
    written = {}
    for how in ("bytes", "text"):
        buffer = io.BytesIO()
        stream = _Text(buffer, encoding=encoding, newline="\n")
        stream.texts = []
        monkeypatch.setattr(sys, "stdout", stream)
        monkeypatch.setattr(sys, "__stdout__", stream if process_stdout else sys.__stdout__)
        messages = io.StringIO()
        monkeypatch.setattr(sys, "stderr", messages)
        given = (
            {**outputs, "report_bytes": report.encode("ascii")}
            if how == "bytes"
            else {**outputs, "report": report}
        )
        assert cache_module.emit(given, None) == 1
        stream.flush()
        assert messages.getvalue() == "1 finding\n"
        written[how] = buffer.getvalue()
        taken = report not in stream.texts  # not written as text: as bytes
        assert taken == (
            how == "bytes" and process_stdout and encoding != "utf-16" and os.name != "nt"
        ), (how, encoding, process_stdout)
        monkeypatch.undo()
    assert written["bytes"] == written["text"] == report.encode(encoding)


def test_a_replay_reads_an_ascii_report_as_bytes_and_another_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What replay gives emit: the report's bytes when ASCII, else its text."""
    monkeypatch.setenv(cache_module.CACHE_ENV, str(tmp_path / "cache"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    folder = cache_module.open_cache([], tmp_path / "work")
    assert folder is not None
    for report, key in (("plain\n", "report_bytes"), ("caf\u00e9\n", "report")):
        run = cache_module.RunCache("k" + key.replace("_", ""), folder, tmp_path / "work")
        run.begin({"paths": []})
        run.started_ns += 10**12  # nothing is too recent
        assert run.store({"report": report, "stderr": "", "exit": 0})
        replayed = run.replay()
        assert replayed is not None
        assert set(replayed) & {"report", "report_bytes"} == {key}
        value = replayed[key]
        assert (value.decode("ascii") if isinstance(value, bytes) else value) == report
    cache_module.reset()


def _recorded_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> Any:
    """A run over ``count`` walked files, recorded: (its cache, spec, recorded state, stats)."""
    monkeypatch.setenv(cache_module.CACHE_ENV, str(tmp_path / "cache"))
    work = tmp_path / "work"
    for index in range(count):
        below = work / "k8s" / f"f{index % 3}"
        below.mkdir(parents=True, exist_ok=True)
        (below / f"m{index}.yaml").write_text(f"kind: ConfigMap\nmetadata: {{name: m{index}}}\n")
    past = time.time() - 60
    for path in work.rglob("*"):
        os.utime(path, (past, past))
    monkeypatch.chdir(work)
    folder = cache_module.open_cache([], work)
    assert folder is not None
    run = cache_module.RunCache("kfast", folder, work)
    spec: dict[str, object] = {"paths": ["k8s"], "context": [], "stdin_name": "<stdin>"}
    run.begin(spec)
    run.started_ns += 10**12  # nothing is too recent
    assert run.store({"report": "r\n", "stderr": "", "exit": 0})
    raw = folder.read(cache_module._RUNS, run.name, cache_module.RUN_PURPOSE)
    assert raw is not None
    entry = cache_module.loads(raw)
    return run, entry["spec"], cache_module._expanded(entry["state"]), entry["stats"]


def test_unchanged_walked_files_are_compared_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay whose walked files are the recorded ones with their recorded signatures takes
    their digests in one comparison (no _file_state per file), and the state is the one the
    file-by-file comparison gives, and the one hashing every file gives."""
    run, spec, state, stats = _recorded_run(tmp_path, monkeypatch, 7)
    calls: list[str] = []
    real = cache_module._file_state

    def counted(path: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(cache_module, "_file_state", counted)
    hashed: list[str] = []
    real_hash = cache_module.hash_stream

    def hashing(path: str, *args: Any) -> Any:
        hashed.append(path)
        return real_hash(path, *args)

    monkeypatch.setattr(cache_module, "hash_stream", hashing)
    fast = run.fingerprint(spec, (state["files"], stats))
    assert fast == state
    assert not [path for path in calls if path.endswith(".yaml")]  # taken: none one by one
    calls.clear()
    assert run.fingerprint(spec, ({}, {})) == state  # nothing known: every file hashed
    assert len([path for path in calls if path.endswith(".yaml")]) == 7
    calls.clear()
    # the signatures as a map of the paths (as store gives them): taken too
    rows = cache_module._unpack_signatures(stats, len(state["files"]))
    assert rows is not None
    by_path = dict(reversed(list(zip(state["files"], rows, strict=True))))
    assert run.fingerprint(spec, (state["files"], by_path)) == state
    assert not [path for path in calls if path.endswith(".yaml")]
    # the file-by-file comparison alone gives the same state, reading no file either
    monkeypatch.setattr(cache_module, "_unchanged", lambda *args: ({}, {}))
    calls.clear()
    hashed.clear()
    assert run.fingerprint(spec, (state["files"], stats)) == fast
    assert len([path for path in calls if path.endswith(".yaml")]) == 7
    assert not hashed
    monkeypatch.undo()
    cache_module.reset()


@pytest.mark.parametrize("change", ["touch", "edit", "add", "remove", "rename"])
def test_a_change_among_the_walked_files_is_still_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """One file of many with another signature, a file more, less or renamed: the comparison
    at once declines, and the file-by-file one decides (same bytes: the recorded state; other
    bytes or other files: another state, a miss)."""
    run, spec, state, stats = _recorded_run(tmp_path, monkeypatch, 9)
    target = Path("k8s/f1/m4.yaml")
    if change == "touch":
        os.utime(target, (time.time() - 30, time.time() - 30))
    elif change == "edit":
        status = target.stat()
        target.write_text(target.read_text().replace("m4", "m5"))  # same size and times
        os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))
    elif change == "add":
        (target.parent / "m40.yaml").write_text("kind: ConfigMap\n")
    elif change == "remove":
        target.unlink()
    else:
        target.rename(target.parent / "m4b.yaml")
    current = run.fingerprint(spec, (state["files"], stats))
    assert (current == state) is (change == "touch")
    assert current == run.fingerprint(spec)  # what hashing every file says
    cache_module.reset()


@pytest.mark.parametrize("path", [*PLAIN, *OTHER, "/abs/x.yaml", "", "a/", "./a", "a//b"])
def test_a_path_below_the_working_folder_is_abspaths_or_no_recorded_path(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison at once joins each walked name to the working folder: where that is
    not abspath's answer, it is no normal path, so it equals no recorded (abspath) path."""
    for folder in (tmp_path, Path("/")):
        monkeypatch.chdir(folder)
        joined = cache_module._below_working_folder([path])[0]
        assert joined == os.path.abspath(path) or (
            not path.startswith("/") and joined != os.path.normpath(joined)
        )


@pytest.mark.parametrize(
    "rows",
    [
        [(1, 2, 3, 4, 5), None, (0, 2**63, 2**64 - 2, 7, 2**32)],
        [],
        [None],
        [(10, -5, 3, 4, 5), None],  # a time before 1970: the JSON lists
    ],
)
def test_signatures_are_packed_and_unpacked_to_the_same_rows(rows: list[Any]) -> None:
    """An entry's signatures as one hexadecimal string (a list where a value does not fit),
    read back as the rows, a missing one as the row no file has; damaged: None."""
    packed = cache_module._pack_signatures(rows)
    assert isinstance(packed, list) is any(r and min(r) < 0 for r in rows)
    unpacked = cache_module._unpack_signatures(json.loads(json.dumps(packed)), len(rows))
    assert unpacked == [cache_module._NO_SIGNATURE if r is None else r for r in rows]
    assert cache_module._unpack_signatures(packed, len(rows) + 1) is None
    if isinstance(packed, str) and packed:
        assert cache_module._unpack_signatures(packed[:-2] + "zz", len(rows)) is None
        # white space, which bytes.fromhex skips, in place of digits: fewer bytes, not rows
        for spaced in (packed[:-2] + "  ", "  " + packed[2:], packed[:-16] + " " * 16):
            assert cache_module._unpack_signatures(spaced, len(rows)) is None


@pytest.mark.skipif(os.name != "posix", reason="symbolic links and FIFOs need POSIX")
def test_lexists_and_isfile_answer_as_os_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kpolicy.fsutil's lexists (one faccessat that does not follow a final link) and isfile
    give os.path's answers: files, folders, links (broken, looping, to a folder), a FIFO,
    paths through a file, names too long or with a NUL; and the same without faccessat."""
    from kpolicy import fsutil

    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / "link").symlink_to("file")
    (tmp_path / "broken").symlink_to("missing")
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "to-folder").symlink_to("folder")
    os.mkfifo(tmp_path / "fifo")
    names = [
        "file",
        "folder",
        "link",
        "broken",
        "loop",
        "to-folder",
        "fifo",
        "missing",
        "file/below",
        "missing/below",
        "link/",
        "folder/",
        "x" * 300,
        "a\0b",
        "",
    ]
    paths = [str(tmp_path / name) if name else name for name in names]
    assert (os.access in os.supports_follow_symlinks) == fsutil._ACCESS_SEES_LINKS
    for sees_links in (fsutil._ACCESS_SEES_LINKS, False):
        monkeypatch.setattr(fsutil, "_ACCESS_SEES_LINKS", sees_links)
        for path in paths:
            assert fsutil.lexists(path) == os.path.lexists(path), (sees_links, path)
            assert fsutil.isfile(path) == os.path.isfile(path), (sees_links, path)


@pytest.mark.skipif(os.name != "posix", reason="symbolic links need POSIX")
@pytest.mark.parametrize("refusal", ["answers False", "raises", "unsupported"])
def test_lexists_falls_back_where_faccessat_refuses_the_flag(
    refusal: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system refuses faccessat's "do not follow" flag (musl on a kernel without
    faccessat2: EINVAL; a seccomp filter: EPERM; both make os.access answer False), or
    Python has no such call, the probe says so and lexists is os.path.lexists: a broken
    link still exists, which a refused call would have answered False."""
    from kpolicy import fsutil

    real = os.access

    def refusing(path: Any, mode: int, *, follow_symlinks: bool = True) -> bool:
        if follow_symlinks:
            return real(path, mode)
        if refusal == "raises":
            raise NotImplementedError("access: follow_symlinks unavailable on this platform")
        return False

    monkeypatch.setattr(os, "access", refusing)
    if refusal != "unsupported":
        monkeypatch.setattr(os, "supports_follow_symlinks", {refusing})
    assert fsutil._access_sees_links() is False
    (tmp_path / "broken").symlink_to("missing")
    monkeypatch.setattr(fsutil, "_ACCESS_SEES_LINKS", fsutil._access_sees_links())
    assert fsutil.lexists(str(tmp_path / "broken")) is True
    assert fsutil.lexists(str(tmp_path / "missing")) is False


def _state(inputs: list[Any], files: list[str]) -> dict[str, object]:
    return {"config": None, "inputs": inputs, "errors": [], "files": dict.fromkeys(files, "d")}


@pytest.mark.parametrize(
    ("inputs", "files", "compacted"),
    [
        (["a.yaml", "k/b.yml"], ["/w/a.yaml", "/w/k/b.yml", "/w/.kpolicy.yaml"], True),
        (["a.yaml"], ["/a.yaml"], True),  # the working folder is /
        (["a.yaml", "b.yaml"], ["/w/a.yaml", "/v/b.yaml"], False),  # not all below one folder
        (["a.yaml", "b.yaml"], ["/w/a.yaml", "/w/c.yaml"], False),  # another name
        (["../o/a.yaml"], ["/p/o/a.yaml"], False),  # a name that is not its path below
        (["/abs/a.yaml"], ["/abs/a.yaml"], False),
        ([["a.yaml", "a.yaml", True]], ["/w/a.yaml"], False),  # named on the command line
        (["a.yaml", "b.yaml"], ["/w/a.yaml"], False),  # more inputs than files
        ([], ["/w/x"], False),
        (["<stdin>"], [], False),
    ],
)
def test_an_entry_holds_walked_inputs_as_their_folder_and_number(
    inputs: list[Any], files: list[str], compacted: bool
) -> None:
    """The inputs of a state, when they are the names of its first files below one folder,
    are kept as that folder and their number, and given back as they were; else as they are
    (and a damaged compacted form is no state)."""
    state = _state(inputs, files)
    kept = cache_module._compacted(state)
    assert isinstance(kept["inputs"], dict) is compacted
    assert cache_module._expanded(json.loads(json.dumps(kept))) == state
    if compacted:
        for damaged in ({"below": 1, "count": 1}, {"below": "/w/", "count": 0}, {"x": 1}):
            assert cache_module._expanded({**kept, "inputs": damaged}) is None
        wrong = {**kept, "inputs": {"below": "/elsewhere/", "count": len(inputs)}}
        assert cache_module._expanded(wrong) != state


def test_a_replay_reads_the_compacted_inputs_of_its_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Taken: a run over walked files stores its inputs compacted, and replays them."""
    run, spec, state, stats = _recorded_run(tmp_path, monkeypatch, 4)
    raw = run.folder.read(cache_module._RUNS, run.name, cache_module.RUN_PURPOSE)
    assert raw is not None
    kept = cache_module.loads(raw)["state"]
    assert kept["inputs"] == {"below": str(tmp_path / "work") + "/", "count": 4}
    assert state["inputs"][0] == "k8s/f0/m0.yaml" and len(state["inputs"]) == 4
    assert run.fingerprint(spec, (state["files"], stats)) == state
    assert run.replay() is not None
    cache_module.reset()
