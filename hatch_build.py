"""Hatchling build hook: compiles kpolicy's optional C loader (kpolicy/_cload.c, linked to
libyaml) into the wheel, or in place in kpolicy/ for an editable install (``make``'s
``pip install -e``). Without a C compiler, libyaml's header (yaml.h, Debian's libyaml-dev) or
its library, the wheel is pure Python after a one-line warning, and kpolicy loads YAML with
PyYAML's composer as before (slower, the same output).

Standard library only: the compiler and flags come from sysconfig (``CC``, ``CFLAGS`` and
``LDFLAGS`` in the environment are honoured, as setuptools does).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("kpolicy") / "_cload.c"


def _warn(reason: str) -> None:
    line = " ".join(reason.split())[:300]
    print(
        f"kpolicy: building without the C loader ({line}); kpolicy works, loading YAML is slower",
        file=sys.stderr,
    )


def _command(source: Path, output: Path) -> list[str]:
    """The compiler's command line that builds ``output`` from ``source`` in one step."""
    config = sysconfig.get_config_vars()
    linker = shlex.split(str(config.get("LDSHARED") or ""))
    if "CC" in os.environ:
        linker = [*shlex.split(os.environ["CC"]), *linker[1:]]
        if "-shared" not in linker and sys.platform != "darwin":
            linker.append("-shared")
    if not linker:
        raise FileNotFoundError("no C compiler configured for this Python")
    flags = shlex.split(str(config.get("CFLAGS") or "")) + shlex.split(
        str(config.get("CCSHARED") or "")
    )
    include = sysconfig.get_paths()["include"]
    extra = shlex.split(os.environ.get("CFLAGS", "")) + shlex.split(os.environ.get("LDFLAGS", ""))
    return [*linker, *flags, *extra, "-I", include, str(source), "-lyaml", "-o", str(output)]


def build_extension(root: Path, output: Path) -> bool:
    """Compiles the C loader into ``output`` and checks that it loads; False (after a
    warning) when it cannot."""
    output.unlink(missing_ok=True)  # never leave a stale build of an older source
    try:
        command = _command(root / SOURCE, output)
    except FileNotFoundError as exc:  # no LDSHARED (Windows' Python) and no CC
        _warn(str(exc))
        return False
    if shutil.which(command[0]) is None:
        _warn(f"no C compiler: {command[0]} not found")
        return False
    try:
        # the compiler this Python was built with (or $CC) on the project's own source
        done = subprocess.run(  # noqa: S603 - the build's own compiler command
            command, cwd=root, capture_output=True, text=True, timeout=300
        )
    except (OSError, subprocess.SubprocessError) as exc:
        _warn(f"{command[0]} failed: {exc}")
        return False
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
        missing_header = any("yaml.h" in line for line in errors)
        _warn(
            "libyaml's header yaml.h not found: install libyaml-dev"
            if missing_header
            else (
                errors
                or done.stderr.splitlines()
                or [f"{command[0]} exit status {done.returncode}"]
            )[0]
        )
        output.unlink(missing_ok=True)
        return False
    # load it once in a fresh interpreter: libyaml's shared library must be there at run time
    # and with a libyaml kpolicy.load uses it with (its LIBYAML_MINIMUM)
    check = (
        "import importlib.util as u, sys; s = u.spec_from_file_location('kpolicy._cload', "
        "sys.argv[1]); m = u.module_from_spec(s); s.loader.exec_module(m); m.load_chunk; "
        "v = m.LIBYAML_VERSION; sys.exit(None if v >= (0, 2, 5) else 'libyaml %d.%d.%d is "
        "older than 0.2.5: install a newer libyaml-dev' % v)"
    )
    loaded = subprocess.run(  # noqa: S603 - this Python on the module just built
        [sys.executable, "-c", check, str(output)], capture_output=True, text=True, timeout=120
    )
    if loaded.returncode != 0:
        said = loaded.stderr.strip().splitlines() or ["no message"]
        _warn(f"the built extension does not load: {said[-1]}")
        output.unlink(missing_ok=True)
        return False
    return True


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled C loader to the wheel (a platform wheel), or builds it in place for
    an editable install."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        name = "_cload" + str(sysconfig.get_config_var("EXT_SUFFIX") or ".so")
        if version == "editable":
            # the editable install imports kpolicy/ from the checkout: the module goes there
            # (gitignored)
            if build_extension(root, root / "kpolicy" / name):
                build_data["pure_python"] = False
                build_data["infer_tag"] = True
            return
        self._temporary = Path(tempfile.mkdtemp(prefix="kpolicy-build-"))
        built = self._temporary / name
        if build_extension(root, built):
            build_data["force_include"][str(built)] = f"kpolicy/{name}"
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        temporary = getattr(self, "_temporary", None)
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    # `make` runs this when the install left no C loader: pip shows nothing a build hook prints,
    # so the reason is found again (in a scratch folder) and said in the same one warning
    with tempfile.TemporaryDirectory(prefix="kpolicy-build-") as scratch:
        suffix = str(sysconfig.get_config_var("EXT_SUFFIX") or ".so")
        build_extension(Path(__file__).resolve().parent, Path(scratch) / f"_cload{suffix}")
