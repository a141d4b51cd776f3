"""Kustomize as kpolicy reads it: kustomization files, what they name, and what they change.

A kustomization (``kustomization.yaml``, ``kustomization.yml`` or ``Kustomization``, of kind
``Kustomization`` or ``Component``) names resources (files, or folders that hold another
kustomization), components, patches, generator data and transformer configs. Everything here
works on the parsed values; reading files and following folders is :mod:`kpolicy.repo`'s job.

Facts from kustomize (sigs.k8s.io/kustomize/api):

- ``patches``, ``patchesStrategicMerge`` and ``patchesJson6902`` name patch files
  (``types.Kustomization``); a patch is merged onto a resource and never applied on its own.
- ``commonLabels`` and ``labels`` with ``includeSelectors: true`` add their labels to
  ``metadata.labels``, to the selectors of workloads and Services, and to pod template labels
  (the field specs of ``konfig/builtinpluginconsts/commonlabels.go``); ``labels`` without
  ``includeSelectors`` touch ``metadata.labels`` only, plus the pod template with
  ``includeTemplates: true``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping

from kpolicy.kustomizenames import DIRECTIVE_PREFIXES as DIRECTIVE_PREFIXES
from kpolicy.kustomizenames import KUSTOMIZATION_FILES as KUSTOMIZATION_FILES
from kpolicy.kustomizenames import KUSTOMIZE_API_GROUP as KUSTOMIZE_API_GROUP
from kpolicy.kustomizenames import KUSTOMIZE_KINDS as KUSTOMIZE_KINDS
from kpolicy.kustomizenames import PATCH_EXEMPT_RULES as PATCH_EXEMPT_RULES
from kpolicy.kustomizenames import has_patch_directive as has_patch_directive
from kpolicy.kustomizenames import is_directive_key as is_directive_key
from kpolicy.kustomizenames import is_kustomization_name as is_kustomization_name
from kpolicy.kustomizenames import is_kustomize_document as is_kustomize_document
from kpolicy.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@record(frozen=True, slots=True)
class LabelInjection:
    """Labels a kustomization adds to its resources, and where."""

    labels: tuple[tuple[str, str], ...]
    selectors: bool  # into selectors and pod templates too (commonLabels, includeSelectors)
    templates: bool  # into pod templates (includeTemplates)


@record(frozen=True, slots=True)
class ImageOverride:
    """An ``images:`` entry: containers whose image is ``name`` get a new name, tag or digest
    (kustomize's ImageTagTransformer)."""

    name: str
    new_name: str | None
    new_tag: str | None
    digest: str | None

    def apply(self, image: str) -> str | None:
        """The image after this override, or None when it does not match ``image``."""
        base, tag, digest = split_image(image)
        if base != self.name:
            return None
        if self.digest:
            return f"{self.new_name or base}@{self.digest}"
        if self.new_tag:
            return f"{self.new_name or base}:{self.new_tag}"
        rest = f"@{digest}" if digest else (f":{tag}" if tag else "")
        return f"{self.new_name or base}{rest}"


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    tag = None
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        image, tag = image[:colon], image[colon + 1 :]
    return image, tag, digest


@record(frozen=True, slots=True)
class Kustomization:
    """One kustomization file as parsed: every path is absolute and normalized (see
    :func:`parse`); remote references (URLs, git) are left out."""

    file: str
    folder: str
    kind: str  # Kustomization or Component
    resources: tuple[str, ...]  # files or folders (bases), in the order given
    components: tuple[str, ...]  # folders
    patches: tuple[str, ...]  # patch files (strategic merge or JSON 6902)
    data_files: tuple[str, ...]  # configMapGenerator/secretGenerator files and env files
    config_files: tuple[str, ...]  # transformers, generators, validators, configurations, ...
    crds: tuple[str, ...]
    labels: tuple[LabelInjection, ...]
    images: tuple[ImageOverride, ...] = ()


def _is_remote(text: str) -> bool:
    return (
        "://" in text
        or text.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/"))
        or "?ref=" in text
        or "//" in text.split("?")[0][1:]
    )


def _local(folder: str, value: object) -> str | None:
    """A local path named in a kustomization, absolute; None for anything else (remote
    references, inline YAML, wrong types)."""
    if not isinstance(value, str) or not value or "\n" in value or "\0" in value:
        return None
    if _is_remote(value):
        return None
    return os.path.normpath(os.path.join(folder, value))


def _strings(value: object) -> Iterator[object]:
    if isinstance(value, list):
        yield from value


def _label_pairs(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    pairs = []
    for key, item in value.items():
        if isinstance(key, str) and isinstance(item, str | int | float | bool) and item is not None:
            text = (
                item
                if isinstance(item, str)
                else ("true" if item is True else "false" if item is False else str(item))
            )
            pairs.append((key, text))
    return tuple(pairs)


def parse(file: str, data: Mapping[str, Any]) -> Kustomization:
    """The kustomization of ``file`` (absolute) from its parsed value."""
    folder = os.path.dirname(file)
    resources: list[str] = []
    for key in ("resources", "bases"):
        for entry in _strings(data.get(key)):
            path = _local(folder, entry)
            if path is not None:
                resources.append(path)
    components = [p for e in _strings(data.get("components")) if (p := _local(folder, e))]
    patches: list[str] = []
    for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
        for entry in _strings(data.get(key)):
            path = _local(folder, entry.get("path") if isinstance(entry, dict) else entry)
            if path is not None:
                patches.append(path)
    data_files: list[str] = []
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in _strings(data.get(key)):
            if not isinstance(generator, dict):
                continue
            for entry in _strings(generator.get("files")):
                if isinstance(entry, str):
                    entry = entry.split("=", 1)[-1]
                if (path := _local(folder, entry)) is not None:
                    data_files.append(path)
            for entry in (*_strings(generator.get("envs")), generator.get("env")):
                if (path := _local(folder, entry)) is not None:
                    data_files.append(path)
    config_files: list[str] = []
    for key in ("transformers", "generators", "validators", "configurations"):
        for entry in _strings(data.get(key)):
            if (path := _local(folder, entry)) is not None:
                config_files.append(path)
    for entry in _strings(data.get("replacements")):
        if isinstance(entry, dict) and (path := _local(folder, entry.get("path"))) is not None:
            config_files.append(path)
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and (path := _local(folder, openapi.get("path"))) is not None:
        config_files.append(path)
    crds = [p for e in _strings(data.get("crds")) if (p := _local(folder, e))]
    labels: list[LabelInjection] = []
    common = _label_pairs(data.get("commonLabels"))
    if common:
        labels.append(LabelInjection(common, selectors=True, templates=True))
    for entry in _strings(data.get("labels")):
        if not isinstance(entry, dict):
            continue
        pairs = _label_pairs(entry.get("pairs"))
        if pairs:
            selectors = entry.get("includeSelectors") is True
            labels.append(
                LabelInjection(
                    pairs,
                    selectors=selectors,
                    templates=selectors or entry.get("includeTemplates") is True,
                )
            )
    images: list[ImageOverride] = []
    for entry in _strings(data.get("images")):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):

            def text(key: str, entry: dict[str, Any] = entry) -> str | None:
                value = entry.get(key)
                return str(value) if isinstance(value, str | int | float) and value != "" else None

            images.append(
                ImageOverride(entry["name"], text("newName"), text("newTag"), text("digest"))
            )
    kind = data.get("kind")
    return Kustomization(
        file=file,
        folder=folder,
        kind=kind if isinstance(kind, str) and kind in KUSTOMIZE_KINDS else "Kustomization",
        resources=tuple(resources),
        components=tuple(components),
        patches=tuple(patches),
        data_files=tuple(data_files),
        config_files=tuple(config_files),
        crds=tuple(crds),
        labels=tuple(labels),
        images=tuple(images),
    )


# ---------------------------------------------------------------------------------------------
# labels applied as kustomize applies them

# (kind, path of a label map, create when absent) following kustomize's commonLabels field specs
_SELECTOR_SPECS: dict[str, tuple[tuple[tuple[str, ...], bool], ...]] = {
    "Deployment": ((("spec", "selector", "matchLabels"), True),),
    "ReplicaSet": ((("spec", "selector", "matchLabels"), True),),
    "DaemonSet": ((("spec", "selector", "matchLabels"), True),),
    "StatefulSet": ((("spec", "selector", "matchLabels"), True),),
    "Job": ((("spec", "selector", "matchLabels"), False),),
    "CronJob": ((("spec", "jobTemplate", "spec", "selector", "matchLabels"), False),),
    "Service": ((("spec", "selector"), True),),
    "ReplicationController": ((("spec", "selector"), True),),
    "PodDisruptionBudget": ((("spec", "selector", "matchLabels"), False),),
    "NetworkPolicy": ((("spec", "podSelector", "matchLabels"), False),),
}
_TEMPLATE_SPECS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "metadata", "labels"),
    "ReplicaSet": ("spec", "template", "metadata", "labels"),
    "DaemonSet": ("spec", "template", "metadata", "labels"),
    "StatefulSet": ("spec", "template", "metadata", "labels"),
    "Job": ("spec", "template", "metadata", "labels"),
    "ReplicationController": ("spec", "template", "metadata", "labels"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "metadata", "labels"),
}


def _add_labels(
    data: dict[str, Any], path: tuple[str, ...], pairs: Iterable[tuple[str, str]], create: bool
) -> None:
    node: Any = data
    for step in path[:-1]:
        child = node.get(step) if isinstance(node, dict) else None
        if child is None:
            if not create:
                return
            child = node[step] = {}
        elif not isinstance(child, dict):
            return
        node = child
    if not isinstance(node, dict):
        return
    target = node.get(path[-1])
    if target is None:
        if not create:
            return
        target = node[path[-1]] = {}
    if isinstance(target, dict):
        for key, value in pairs:
            target[key] = value


_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _pod_specs(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path in (
        ("spec",),
        ("spec", "template", "spec"),
        ("spec", "jobTemplate", "spec", "template", "spec"),
    ):
        node: Any = data
        for step in path:
            node = node.get(step) if isinstance(node, dict) else None
        if isinstance(node, dict) and any(k in node for k in _CONTAINER_LISTS):
            yield node


def _set_images(data: dict[str, Any], overrides: Iterable[ImageOverride]) -> None:
    """Apply ``images:`` overrides (the first matching one) to every container image."""
    overrides = list(overrides)
    for spec in _pod_specs(data):
        for key in _CONTAINER_LISTS:
            items = spec.get(key)
            if not isinstance(items, list):
                continue
            for container in items:
                image = container.get("image") if isinstance(container, dict) else None
                if not isinstance(image, str):
                    continue
                for override in overrides:
                    changed = override.apply(image)
                    if changed is not None:
                        container["image"] = changed
                        break


def applied(
    data: dict[str, Any],
    injections: Iterable[LabelInjection],
    images: Iterable[ImageOverride] = (),
) -> dict[str, Any]:
    """A copy of an object's value with the labels of ``injections`` and the image overrides
    applied as kustomize applies them (the value itself is left unchanged: its position
    table walks it)."""
    kind = data.get("kind")
    import copy  # only where a patch is applied: not on a one-file run's path

    result = copy.deepcopy(data)
    _set_images(result, images)
    for injection in injections:
        _add_labels(result, ("metadata", "labels"), injection.labels, True)
        if not isinstance(kind, str):
            continue
        if injection.selectors:
            for path, create in _SELECTOR_SPECS.get(kind, ()):
                _add_labels(result, path, injection.labels, create)
        if injection.templates and kind in _TEMPLATE_SPECS:
            _add_labels(result, _TEMPLATE_SPECS[kind], injection.labels, True)
    return result


# ---------------------------------------------------------------------------------------------
# kpolicy lint --kustomize DIR: render, and trace each object back to its source file

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


def build_command() -> list[str] | None:
    """``kustomize build`` or ``kubectl kustomize`` (whichever is on PATH), or None."""
    import shutil

    standalone = shutil.which("kustomize")
    if standalone is not None:
        return [standalone, "build"]
    kubectl = shutil.which("kubectl")
    if kubectl is not None:
        return [kubectl, "kustomize"]
    return None


def render(folder: str, timeout: float = 300) -> tuple[str, str]:
    """The output of building ``folder``, each object annotated with the file it came from
    (kustomize's ``buildMetadata: [originAnnotations]``, asked for through a temporary
    kustomization that names ``folder`` as its one resource; ``folder`` itself is not
    touched), and the temporary folder that origin paths are relative to (gone by then: see
    :func:`origin_of`). Raises ``UsageError`` when it cannot."""
    import subprocess
    import tempfile

    from kpolicy.errors import UsageError

    if not os.path.isdir(folder):
        raise UsageError(f"--kustomize {folder}: not a folder")
    if not any(os.path.isfile(os.path.join(folder, n)) for n in KUSTOMIZATION_FILES):
        raise UsageError(f"--kustomize {folder}: no kustomization.yaml in it")
    command = build_command()
    if command is None:
        raise UsageError(
            "--kustomize needs `kubectl` (with kustomize built in) or `kustomize` "
            "on PATH; neither was found"
        )
    with tempfile.TemporaryDirectory(prefix="kpolicy-kustomize-") as wrapper:
        # kustomize refuses an absolute resource path; a relative one may leave the root
        target = os.path.relpath(os.path.abspath(folder), wrapper)
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as out:
            out.write(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                f"resources:\n- {_quote(target)}\nbuildMetadata: [originAnnotations]\n"
            )
        try:
            # the user asked for this build (--kustomize); kustomize runs no plugin or exec
            # function unless given --enable-alpha-plugins / --enable-exec, which it is not
            done = subprocess.run(  # noqa: S603 - a resolved kustomize/kubectl, fixed arguments
                [*command, wrapper],
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(f"--kustomize {folder}: {' '.join(command)} failed: {exc}") from None
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            why = lines[-1] if lines else f"exit code {done.returncode}"
            raise UsageError(f"--kustomize {folder}: {' '.join(command[:2])} failed: {why}")
        return done.stdout, wrapper


def _quote(text: str) -> str:
    import json

    return json.dumps(text)


@record(frozen=True, slots=True)
class ObjectOrigin:
    """Where kustomize took an object from: the file of a resource, or the kustomization
    whose generator made it."""

    file: str  # absolute
    generated: bool


def origin_of(data: Mapping[str, Any], wrapper: str) -> ObjectOrigin | None:
    """The origin kustomize annotated ``data`` with, its path made absolute (``wrapper``: the
    folder of the kustomization that was built)."""
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    raw = annotations.get(ORIGIN_ANNOTATION) if isinstance(annotations, dict) else None
    if not isinstance(raw, str):
        return None
    fields: dict[str, str] = {}
    for line in raw.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith(" "):
            fields[key.strip()] = value.strip()
    for name, generated in (("path", False), ("configuredIn", True)):
        found = fields.get(name)
        if found and "://" not in found:
            return ObjectOrigin(os.path.normpath(os.path.join(wrapper, found)), generated)
    return None


def without_origin(data: dict[str, Any]) -> dict[str, Any]:
    """The object without the origin annotation kpolicy asked kustomize for (a copy along
    the changed path: the position table walks the original)."""
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict) or ORIGIN_ANNOTATION not in annotations:
        return data
    rest = {k: v for k, v in annotations.items() if k != ORIGIN_ANNOTATION}
    new_metadata = {k: v for k, v in metadata.items() if k != "annotations"}  # type: ignore[union-attr]
    if rest:
        new_metadata["annotations"] = rest
    return {**data, "metadata": new_metadata}
