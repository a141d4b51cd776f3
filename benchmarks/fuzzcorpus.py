"""A corpus with many findings per object, made from a real one as API fuzz tests make theirs.

    python benchmarks/fuzzcorpus.py SOURCE TARGET [--plain PLAIN]

Every YAML document of every manifest under SOURCE is loaded (safely), mutated and written
again under TARGET at the same relative path: in every object, enum fields get a value the API
does not know (``imagePullPolicy: Sometimes``), names get characters no DNS name allows, and
numbers, booleans and some strings get the wrong type (``replicas: "3"``, ``port: "80x"``), the
way the Kubernetes API fuzz and round-trip tests fill objects with values of the wrong shape.
The choice is seeded by the file's relative path, so the same SOURCE always gives the same
corpus. ``--plain`` also writes the same documents unmutated, written the same way (same
layout, no comments): the run with few findings that time per finding is measured against.
A file that does not load (a Helm template, say) is copied as it is, to both.
CustomResourceDefinitions are left out of both: their OpenAPI schemas are half the lines of
the shared corpus, and the inside of a CRD's schema (structural schema validation) is not what
this corpus exercises; with them the corpus would have far fewer findings per line.

Nothing is written under SOURCE: ``make bench`` generates into a temporary folder.
"""

from __future__ import annotations

import argparse
import random
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

SUFFIXES = (".yaml", ".yml", ".json")

# fields whose value is one of a closed set (the API server rejects any other): a value that
# looks right to a reader but is not one of them
WRONG_ENUMS: dict[str, tuple[str, ...]] = {
    "imagePullPolicy": ("Sometimes", "always", "IfNotExists"),
    "restartPolicy": ("Sometimes", "always", "OnError"),
    "protocol": ("TCPX", "tcp", "HTTP"),
    "dnsPolicy": ("Auto", "clusterfirst"),
    "type": ("Rolling", "Balancer", "Sometimes"),
    "pathType": ("Regex", "prefix"),
    "policyTypes": ("Both",),
    "operator": ("Equals", "in"),
    "effect": ("NoRun", "noschedule"),
    "podManagementPolicy": ("Ordered",),
    "sessionAffinity": ("Sticky",),
    "externalTrafficPolicy": ("Global",),
    "concurrencyPolicy": ("Sometimes",),
    "accessModes": ("ReadWriteAll",),
    "reclaimPolicy": ("Keep",),
    "terminationMessagePolicy": ("Always",),
    "whenUnsatisfiable": ("Ignore",),
}
# fields that name an object or a part of one (DNS labels and subdomains)
NAME_KEYS = frozenset(
    {"name", "serviceName", "claimName", "secretName", "configMapName", "serviceAccountName"}
)


def _bad_name(value: str, rng: random.Random) -> str:
    return rng.choice((f"{value}_Copy", f"{value.upper()}", f"-{value}", f"{value}.."))


def _wrong_type(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return rng.choice(("yes", "True", 1))
    if isinstance(value, int):
        return rng.choice((str(value), f"{value}x", float(value) + 0.5, [value]))
    if isinstance(value, float):
        return str(value)
    return value


def mutate(node: Any, rng: random.Random, key: str = "") -> Any:
    """``node`` with wrong enums, bad names and wrong types in it (a new value)."""
    if isinstance(node, dict):
        return {k: mutate(v, rng, str(k)) for k, v in node.items()}
    if isinstance(node, list):
        if key in WRONG_ENUMS and node and all(isinstance(item, str) for item in node):
            return [rng.choice(WRONG_ENUMS[key]) for _ in node]
        return [mutate(item, rng, key) for item in node]
    if key in ("apiVersion", "kind"):
        return node  # the object must stay an object of its kind for its rules to run
    if isinstance(node, str):
        if key in WRONG_ENUMS:
            return rng.choice(WRONG_ENUMS[key])
        if key in NAME_KEYS:
            return _bad_name(node, rng)
        if rng.random() < 0.5:
            return len(node)  # a number where the API wants a string
        return node
    if isinstance(node, bool | int | float) and rng.random() < 0.8:
        return _wrong_type(node, rng)
    return node


def manifests(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.suffix in SUFFIXES and path.is_file() and not path.is_symlink():
            yield path


def _is_crd(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition"


def _dump(documents: list[Any]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, width=1 << 16)


def generate(source: Path, target: Path, plain: Path | None = None) -> tuple[int, int]:
    """Writes the mutated corpus (and the plain one); (files, lines) written to ``target``."""
    files = lines = 0
    for path in manifests(source):
        rel = path.relative_to(source)
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        outputs = [(dest, True)]
        if plain is not None:
            (plain / rel).parent.mkdir(parents=True, exist_ok=True)
            outputs.append((plain / rel, False))
        try:
            text = path.read_text(encoding="utf-8")
            documents = [
                d
                for d in yaml.load_all(text, Loader=yaml.CSafeLoader)
                if d is not None and not _is_crd(d)
            ]
        except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError):
            for out, _ in outputs:
                shutil.copyfile(path, out)
            files += 1
            lines += dest.read_bytes().count(b"\n")
            continue
        for out, mutated in outputs:
            rng = random.Random(zlib.crc32(str(rel).encode()))
            body = [mutate(d, rng) for d in documents] if mutated else documents
            try:
                written = _dump(body)
            except yaml.YAMLError:
                written = text
            out.write_text(written, encoding="utf-8")
        files += 1
        lines += dest.read_bytes().count(b"\n")
    return files, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--plain", type=Path)
    args = parser.parse_args()
    if args.target.resolve().is_relative_to(args.source.resolve()):
        raise SystemExit("the target must not be inside the source")
    files, lines = generate(args.source, args.target, args.plain)
    print(f"{files} files, {lines} lines written to {args.target}")


if __name__ == "__main__":
    main()
