"""The bundled Kubernetes schemas: which releases are supported, which kinds each serves, and
each kind's schema built from ``schemas/k8s/`` (see ``tools/gen_schemas.py``) as corrected by
``schemas/overlay.yaml``, with the API server's strict field validation: an object with known
fields rejects others, except maps (labels, annotations, ``data``) and free-form objects.
The kinds most inputs have come built, from ``schemas/compiled/`` (see the end of the module)."""

from __future__ import annotations

import _thread
import functools
import json
import marshal
import os
import re
from collections.abc import Callable, Iterator, Mapping

from kpolicy.fsutil import data_folder
from kpolicy.versions import SUPPORTED_VERSIONS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

    from jsonschema.protocols import Validator

# names as strings: a run does without pathlib (with urllib.parse and ipaddress, 3 ms)
SCHEMAS_DIR: Final = data_folder("schemas")
BUNDLE_DIR: Final = os.path.join(SCHEMAS_DIR, "k8s")
OVERLAY_PATH: Final = os.path.join(SCHEMAS_DIR, "overlay.yaml")
OVERLAY_JSON_PATH: Final = os.path.join(SCHEMAS_DIR, "overlay.json")
OBJECT_META: Final = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
# each version's compiled form (tools/gen_compiled_schemas.py), see :func:`compiled_payload`
COMPILED_DIR: Final = os.path.join(SCHEMAS_DIR, "compiled")
COMPILED_FORMAT: Final = "kpolicy compiled schemas 2"

# the kinds most inputs have, compiled ahead (COMPILED_DIR) and prepared before workers fork
# (SchemaValidator.compile_builtin): the workloads (they share the large PodSpec) and the
# objects around them
PREPARED_KINDS: Final = (
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "Pod"),
    ("v1", "PodTemplate"),
    ("v1", "ReplicationController"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Namespace"),
    ("policy/v1", "PodDisruptionBudget"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
)


class UnsupportedVersion(ValueError):
    """A Kubernetes version the bundle has no schemas for."""

    def __init__(self, version: str, supported: list[str]) -> None:
        self.version = version
        self.supported = supported
        super().__init__(
            f"unsupported Kubernetes version {version!r}: supported versions are "
            + ", ".join(supported)
        )


# ---------------------------------------------------------------------------------------
# the bundle
#
# ``index.json`` says, per (apiVersion, kind) and per definition name, which releases have
# it and in which form (``[first minor, last minor, root name or content hash]``);
# ``definitions.jsonl`` holds each distinct definition once, one ``["<hash>", {...}]`` per
# line. A definition's line is parsed when a kind that reaches it is first validated (see
# :class:`Version`), and the index then; a run whose kinds all come compiled reads neither.


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@functools.cache
def _index() -> dict[str, Any]:
    loaded = json.loads(_read_text(os.path.join(BUNDLE_DIR, "index.json")))
    assert isinstance(loaded, dict)
    return loaded


@functools.cache
def _store_text() -> str:
    return _read_text(os.path.join(BUNDLE_DIR, "definitions.jsonl"))


@functools.cache
def _store_lines() -> dict[str, str]:
    """Content hash -> its line of ``definitions.jsonl``, unparsed."""
    lines: dict[str, str] = {}
    for line in _store_text().splitlines():
        # ["0123456789abcdef",{...}]: the hash sits at a fixed place
        if line.startswith('["'):
            lines[line[2 : line.index('"', 2)]] = line
    return lines


def _store_line(digest: str) -> str:
    """The line of one definition: found by bisecting the lines, which are sorted by their
    hashes (a few are needed, of some nine hundred); else by reading every line."""
    text = _store_text()
    low, high = 0, len(text)
    while low < high:
        start = text.rfind("\n", 0, (low + high) // 2) + 1  # the line holding the middle
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        found = text[start + 2 : start + 2 + len(digest)]
        if found == digest and text[start + 2 + len(digest)] == '"':
            return text[start:end]
        if found < digest:
            low = end + 1
        else:
            high = start
    return _store_lines()[digest]


def _stored(digest: str) -> dict[str, Any]:
    """A new copy of one stored definition (the caller may change it)."""
    loaded = json.loads(_store_line(digest))
    definition = loaded[1]
    assert isinstance(definition, dict)
    return definition


def _pick(ranges: object, minor: int) -> str | None:
    """The value of the ``[first, last, value]`` range holding ``minor``."""
    for first, last, value in ranges:  # type: ignore[attr-defined]
        if first <= minor <= last:
            return str(value)
    return None


@functools.cache
def load_overlay() -> dict[str, Any]:
    """schemas/overlay.yaml as written to schemas/overlay.json by tools/gen_schemas.py
    (``--overlay``): parsing the YAML itself took longer than building a kind's schemas."""
    loaded = json.loads(_read_text(OVERLAY_JSON_PATH))
    assert isinstance(loaded, dict)
    return loaded


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def supported_versions() -> list[str]:
    """Kubernetes minor versions with bundled schemas, oldest first (``"1.29"``...)."""
    return sorted(_index()["versions"], key=version_key)


def served_minors(api_version: str, kind: str) -> tuple[int, ...]:
    """The minor releases among the bundled ones whose API server serves this kind at this
    apiVersion (when its group version is enabled), oldest first; () for none."""
    by_kind = _served().get(api_version)
    ranges = by_kind.get(kind) if isinstance(by_kind, dict) else None
    if not ranges:
        return ()
    return tuple(minor for first, last, _ in ranges for minor in range(first, last + 1))


@functools.cache
def _served() -> dict[str, Any]:
    """The index's kinds (apiVersion -> kind -> the releases that serve it): compiled, as
    :func:`served_payload` wrote them (the whole index is read only when they do not read
    back)."""
    parts = _read_compiled("served.marshal", "all")
    if parts is not None and type(parts[0]) is dict:
        return parts[0]
    served = _index()["kinds"]
    assert isinstance(served, dict)
    return served


def normalize_version(version: str) -> str:
    """``"v1.37.2"``, ``"1.37"`` -> ``"1.37"``; raises :class:`UnsupportedVersion`."""
    if version in SUPPORTED_VERSIONS:  # the bundle's (tests/test_kubernetes_versions.py)
        return version
    match = re.fullmatch(r"\s*v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?\s*", str(version))
    if match is None:
        raise UnsupportedVersion(str(version), supported_versions())
    minor = f"{int(match.group(1))}.{int(match.group(2))}"
    if minor in SUPPORTED_VERSIONS:
        return minor
    supported = supported_versions()
    if minor not in supported:
        raise UnsupportedVersion(str(version), supported)
    return minor


# ---------------------------------------------------------------------------------------
# building one version's schemas


def _applies(entry: Mapping[str, Any], version: str) -> bool:
    since, until = entry.get("since"), entry.get("until")
    key = version_key(version)
    if since is not None and key < version_key(str(since)):
        return False
    return not (until is not None and key > version_key(str(until)))


def _apply_patch(definition: dict[str, Any], entry: Mapping[str, Any]) -> None:
    """One overlay entry on the definition it names."""
    if "drop_required" in entry:
        required = [
            name for name in definition.get("required", ()) if name not in entry["drop_required"]
        ]
        if required:
            definition["required"] = required
        else:
            definition.pop("required", None)
    node: dict[str, Any] | None = definition
    if "property" in entry:
        node = definition.get("properties", {}).get(entry["property"])
    if node is None:
        return
    target = entry.get("target", "value")
    if target in ("items", "values"):
        key = "items" if target == "items" else "additionalProperties"
        if not isinstance(node.get(key), dict):
            return
        node = node[key]
    if "enum" in entry:
        allowed = list(entry["enum"])
        if entry.get("empty_ok", True):
            allowed += ["", None]
        elif entry.get("null_ok", False):
            allowed.append(None)
        node["enum"] = allowed
    if "format" in entry:
        node["format"] = entry["format"]


def _children(node: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """(container, key) of each subschema directly under ``node``."""
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name in properties:
            yield properties, name
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield node, key  # type: ignore[misc]


def _ref_name(node: object) -> str | None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return ref[len("#/$defs/") :]
    return None


def _drop_required(definition: dict[str, Any]) -> None:
    """Remove ``required`` from one definition. The published schemas say ``required`` only
    at the top of a definition (nested objects are references; tests/schema/test_versions.py
    checks it), so that is the one place to look."""
    definition.pop("required", None)


def make_strict(node: dict[str, Any]) -> None:
    # the API server's strict field validation: an object with known fields rejects others
    if (
        isinstance(node.get("properties"), dict)
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        node["additionalProperties"] = False


class _Roots(Mapping[tuple[str, str], dict[str, "Any"]]):
    """(apiVersion, kind) -> the kind's schema: membership and iteration come from the index,
    a schema is built on first access."""

    def __init__(self, version: Version) -> None:
        self._version = version

    def __getitem__(self, key: tuple[str, str]) -> dict[str, Any]:
        return self._version.root(key)

    def __contains__(self, key: object) -> bool:
        return key in self._version.kinds

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._version.kinds)

    def __len__(self) -> int:
        return len(self._version.kinds)


class Version:
    """The schemas of one Kubernetes version, built kind by kind as a run needs them (the
    :data:`PREPARED_KINDS` come built: :func:`compiled_payload`).

    A kind's schema is its root definition with every ``$ref`` replaced by the definition
    object itself (shared, cycles allowed), after the overlay's corrections and with strict
    fields. Definitions are parsed from the bundle and corrected once per version, on the
    first kind that reaches them; kinds built later share them (PodSpec is one object under
    Deployment, Pod and Job), and so do the fast checks compiled from them.

    Under a kind's ``status`` every definition is a second, relaxed copy without ``required``:
    the API server resets the status of a new object (each strategy's PrepareForCreate, for
    example pkg/registry/apps/deployment/strategy.go sets ``deployment.Status = {}``), so a
    field required there is never enforced, while unknown fields and wrong types are still
    decode errors.
    """

    def __init__(self, version: str, compiled: bool = True) -> None:
        """``compiled``: start from the version's compiled form (:func:`compiled_payload`)
        when the package has it; else, and without it, every kind is built from the bundle."""
        self.version = version
        self.minor = version_key(version)[1]
        loaded = _load_compiled(version) if compiled else None
        self.kinds: dict[tuple[str, str], str]
        self._built: dict[tuple[str, bool], dict[str, Any]]
        self.built_roots: dict[tuple[str, str], dict[str, Any]]
        self._compiled = loaded is not None
        if loaded is not None:
            self.kinds, self._built, self.built_roots = loaded
        else:
            self.kinds = {}
            for api_version, by_kind in _index()["kinds"].items():
                for kind, ranges in by_kind.items():
                    root = _pick(ranges, self.minor)
                    if root is not None:
                        self.kinds[(api_version, kind)] = root
            self._built = {}
            self.built_roots = {}
        self._root_names = frozenset(self.kinds.values())
        # what building a definition reads (the overlay's corrections, the hash of each
        # definition of this version): on the first definition built here (see _sources)
        self._relax_status = False
        self._patches: dict[str, list[Mapping[str, Any]]] = {}
        self._digests: dict[str, str] = {}
        self._read = False
        self._pending: list[tuple[dict[str, Any], bool, bool]] = []
        self._merged: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []
        self.roots: Mapping[tuple[str, str], dict[str, Any]] = _Roots(self)
        self.compiled: dict[tuple[str, str], Validator] = {}
        # threading.RLock is this C lock; the threading module costs a start-up 0.6 ms
        self.lock = _thread.RLock()
        # (apiVersion, kind) -> the pass/fail check of compile_fast, or None when that kind's
        # schema uses a keyword the fast check does not know (jsonschema then decides alone)
        self.fast: dict[tuple[str, str], Callable[[Any], bool] | None] = {}
        # schema node (by id) -> its compiled check, shared by every kind of the version: the
        # definitions are shared objects (PodSpec is one node under Deployment, Pod, Job, ...)
        self.fast_memo: dict[int, Callable[[Any], bool]] = {}
        # (apiVersion, kind) -> the compiled explanation of a document that failed the fast
        # check (kpolicy.schema.explain.compile_explain); its nodes by id, as above
        self.explainers: dict[tuple[str, str], Callable[[Any], list[Any]]] = {}
        self.explain_memo: dict[int, Any] = {}

    def _sources(self) -> None:
        """Read what building a definition needs: the overlay's corrections of this version
        and the hash of each definition of this version (from its compiled form, else from
        the overlay and the bundle's index)."""
        if self._read:
            return
        found = _load_compiled_sources(self.version) if self._compiled else None
        if found is None:
            found = _sources(self.version)
        self._relax_status, self._patches, self._digests = found
        self._read = True

    def root(self, key: tuple[str, str]) -> dict[str, Any]:
        """The schema of one kind of this version; KeyError for a kind it does not serve."""
        found = self.built_roots.get(key)
        if found is not None:
            return found
        with self.lock:
            found = self.built_roots.get(key)
            if found is None:
                found = self._definition(self.kinds[key], relaxed=False)
                self._resolve()
                assert found is not None
                self.built_roots[key] = found
            return found

    def definition(self, name: str) -> dict[str, Any] | None:
        """One definition of this version, built (ObjectMeta for custom resources)."""
        with self.lock:
            found = self._definition(name, relaxed=False)
            self._resolve()
            return found

    def _definition(self, name: str, relaxed: bool) -> dict[str, Any] | None:
        built = self._built.get((name, relaxed))
        if built is not None:
            return built
        self._sources()
        digest = self._digests.get(name)
        if digest is None:
            return None
        schema = _stored(digest)
        for entry in self._patches.get(name, ()):
            _apply_patch(schema, entry)
        is_root = name in self._root_names
        if relaxed:
            _drop_required(schema)
        elif is_root and self._relax_status and "status" in schema.get("required", ()):
            # a kind that lists its status as required (StorageVersion): never enforced either
            schema["required"] = [field for field in schema["required"] if field != "status"]
            if not schema["required"]:
                del schema["required"]
        make_strict(schema)
        self._built[(name, relaxed)] = schema
        self._pending.append((schema, relaxed, is_root))
        return schema

    def _resolve(self) -> None:
        """Replace the ``$ref``s of the definitions built so far by the definitions."""
        while self._pending:
            definition, relaxed, is_root = self._pending.pop()
            stack: list[tuple[dict[str, Any], bool]] = [(definition, relaxed)]
            while stack:
                node, node_relaxed = stack.pop()
                for container, key in list(_children(node)):
                    child = container[key]
                    child_relaxed = node_relaxed or (
                        self._relax_status
                        and is_root
                        and node is definition
                        and key == "status"
                        and container is node.get("properties")
                    )
                    name = _ref_name(child)
                    if name is None:
                        stack.append((child, child_relaxed))
                        continue
                    target = self._definition(name, child_relaxed)
                    if target is None:  # not in the bundle: left as a reference
                        continue
                    siblings = {k: v for k, v in child.items() if k != "$ref"}
                    if siblings:
                        # a corrected reference (a format on an IntOrString): a copy, filled
                        # again below once the target itself is resolved
                        merged = {**target, **siblings}
                        container[key] = merged
                        self._merged.append((merged, target, siblings))
                    else:
                        container[key] = target
        for merged, target, siblings in self._merged:
            merged.update(target)
            merged.update(siblings)
        self._merged.clear()


@functools.cache
def load_version(version: str) -> Version:
    return Version(version)


def _sources(version: str) -> tuple[bool, dict[str, Any], dict[str, str]]:
    """What building the definitions of a version reads: whether a kind's status is relaxed,
    the overlay's corrections by definition, and the hash of each definition."""
    overlay = load_overlay()
    patches: dict[str, Any] = {}
    for entry in overlay.get("patches", ()):
        if _applies(entry, version):
            patches.setdefault(entry["definition"], []).append(entry)
    minor = version_key(version)[1]
    digests: dict[str, str] = {}
    for name, ranges in _index()["definitions"].items():
        digest = _pick(ranges, minor)
        if digest is not None:
            digests[name] = digest
    return bool(overlay.get("drop_required_under_status")), patches, digests


# ---------------------------------------------------------------------------------------
# the compiled form
#
# Building the kinds most inputs have from the bundle (parsing some three hundred definitions,
# correcting them, resolving their references) cost a run more than all the rest of its
# schema set-up, and a run with workers paid it before forking them. ``COMPILED_DIR`` holds,
# per version, what that building gives, written by ``tools/gen_compiled_schemas.py`` (``make
# docs``): marshal keeps the definitions shared by several kinds shared, and the cycles of
# the recursive ones. It is package data, like the bundle; tests/schema/test_compiled.py holds
# it to what building from the bundle gives, kind by kind and node for node.


def compiled_payload(version: str) -> tuple[bytes, bytes]:
    """The compiled form of one version, as written to ``<version>.marshal`` and
    ``<version>.sources.marshal``: its kinds (each one's root definition) and the
    :data:`PREPARED_KINDS` it serves, built from the bundle, with every definition built for
    them (the kinds built later share them); and, read only when another kind is built, what
    building its definitions reads (:func:`_sources`: those not built yet in both forms)."""
    built = prepared_version(version)
    relax, patches, digests = _sources(version)
    both = {name for name, relaxed in built._built if (name, not relaxed) in built._built}
    rest = {name: digest for name, digest in digests.items() if name not in both}
    return (
        marshal.dumps((COMPILED_FORMAT, version, built.kinds, built._built, built.built_roots)),
        marshal.dumps((COMPILED_FORMAT, version, relax, patches, rest)),
    )


def served_payload() -> bytes:
    """``served.marshal``: the index's kinds, for :func:`served_minors`."""
    return marshal.dumps((COMPILED_FORMAT, "all", _index()["kinds"], None, None))


def prepared_version(version: str) -> Version:
    """The version built from the bundle with its :data:`PREPARED_KINDS`, as compiled: each
    leaf node (one whose values are plain or lists of plain values, ``{"type": ["string",
    "null"]}``) and list of plain values once, however many places hold it. A schema node is
    never changed once built, and the checks compiled from one depend on it alone, so a shared
    leaf loads and compiles once (some eight hundred leaves of the common kinds are a hundred)."""
    built = Version(version, compiled=False)
    for key in PREPARED_KINDS:
        if key in built.kinds:
            built.root(key)
    share_leaves([built._built, built.built_roots])  # their leaves too
    return built


def _plain(value: object) -> bool:
    return not isinstance(value, dict | list)


def _leaf(node: object) -> bool:
    if isinstance(node, list):
        return all(map(_plain, node))
    return isinstance(node, dict) and all(
        _plain(value) or (isinstance(value, list) and all(map(_plain, value)))
        for value in node.values()
    )


def _leaf_key(node: Any) -> object:
    """Equal for leaves of equal values of the same types in the same order (1, 1.0 and True
    are equal in Python, not in a schema)."""
    if isinstance(node, list):
        return ("list", *((type(item), item) for item in node))
    return (
        "dict",
        *(
            (name, type(value), _leaf_key(value) if isinstance(value, list) else value)
            for name, value in node.items()
        ),
    )


def share_leaves(nodes: list[Any]) -> None:
    """Make the equal leaves and plain lists below ``nodes`` one object each (see
    :func:`prepared_version`)."""
    shared: dict[object, Any] = {}

    def one(node: Any) -> Any:
        if isinstance(node, dict):
            for name, value in node.items():
                if isinstance(value, list):
                    node[name] = shared.setdefault(_leaf_key(value), value)
        return shared.setdefault(_leaf_key(node), node)

    seen: set[int] = set()
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        places = list(node.items() if isinstance(node, dict) else enumerate(node))
        for place, child in places:
            if isinstance(child, dict | list):
                if _leaf(child):
                    node[place] = one(child)
                else:
                    pending.append(child)


def _read_compiled(name: str, version: str) -> tuple[Any, ...] | None:
    """The parts after the format and version of a file of ``COMPILED_DIR``; None where
    there is none or it does not read back."""
    try:
        with open(os.path.join(COMPILED_DIR, name), "rb") as handle:
            # package data written by the generator, as trusted as the package's own code
            loaded = marshal.loads(handle.read())  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if type(loaded) is not tuple or len(loaded) != 5 or loaded[:2] != (COMPILED_FORMAT, version):
        return None
    return loaded[2:]


def _load_compiled(
    version: str,
) -> (
    tuple[dict[tuple[str, str], str], dict[tuple[str, bool], Any], dict[tuple[str, str], Any]]
    | None
):
    """The kinds of ``version`` and those built, as :func:`compiled_payload` wrote them;
    None where they do not read back (then the kinds are built from the bundle)."""
    parts = _read_compiled(f"{version}.marshal", version)
    if parts is None or not all(type(part) is dict for part in parts):
        return None
    return parts[0], parts[1], parts[2]


def _load_compiled_sources(version: str) -> tuple[bool, dict[str, Any], dict[str, str]] | None:
    """What building the other definitions of ``version`` reads (:func:`_sources`), as
    :func:`compiled_payload` wrote it; None where it does not read back."""
    parts = _read_compiled(f"{version}.sources.marshal", version)
    if parts is None or type(parts[0]) is not bool or not all(type(p) is dict for p in parts[1:]):
        return None
    return parts[0], parts[1], parts[2]
