"""A repository as its owners lay it out: which files are manifests, which are Helm chart
templates or values, which are kustomize patches, and which kustomizations build which files.

:class:`RepoModel` is built once per run from the files to lint (and ``--context``): it looks
for kustomization files and ``Chart.yaml`` in the folders of those files and their parents up
to the repository root (the git work tree, else the working folder), and follows the folders
that kustomizations name (bases, components) inside that root. It never reads outside the root,
never follows a remote reference, and reads only kustomization files and ``Chart.yaml``.

Queries take a file's display name (as reported: relative to the working folder) and answer:

- :meth:`RepoModel.skip_reason` — why a file is not a manifest by its name or its role;
- :meth:`RepoModel.chart_of` / :meth:`RepoModel.template_chart` — the chart a file belongs to;
- :meth:`RepoModel.is_patch` / :meth:`RepoModel.patch_users` — kustomize patches;
- :meth:`RepoModel.builds_including` — every kustomization whose build includes a file
  (through resource folders and components), nearest first;
- :meth:`RepoModel.injected_labels` — labels those builds add to the file's objects;
- :meth:`RepoModel.relation` / :meth:`RepoModel.applied_together` — whether two files are
  applied together (one file, folder, kustomize build or chart) or apart.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Hashable, Iterable

from kpolicy.discover import HELM_TEMPLATES, NOT_MANIFESTS
from kpolicy.gitignore import find_work_tree
from kpolicy.helm import CHART_FILE, CHART_METADATA, TEMPLATES, Chart, chart_name, is_values_file
from kpolicy.kustomizenames import KUSTOMIZATION_FILES
from kpolicy.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    # kpolicy.kustomize is imported where a kustomization is found (_probe)
    from kpolicy.kustomize import ImageOverride, Kustomization, LabelInjection

_MAX_KUSTOMIZATIONS = 10_000
_MAX_KUSTOMIZATION_BYTES = 1 << 20

# CI and tool configuration files found by name (a GitHub workflow is found by its folder)
_NEIGHBOURS = {
    ".pre-commit-config.yaml": "pre-commit configuration",
    ".pre-commit-hooks.yaml": "pre-commit hook definitions",
    ".kpolicy.yaml": "kpolicy configuration",
    ".gitlab-ci.yml": "GitLab CI pipeline",
    ".travis.yml": "Travis CI configuration",
    "azure-pipelines.yml": "Azure Pipelines configuration",
    "azure-pipelines.yaml": "Azure Pipelines configuration",
    "bitbucket-pipelines.yml": "Bitbucket Pipelines configuration",
    "cloudbuild.yaml": "Cloud Build configuration",
    "cloudbuild.yml": "Cloud Build configuration",
    "skaffold.yaml": "Skaffold configuration",
    "helmfile.yaml": "helmfile configuration",
    "codecov.yml": "Codecov configuration",
    ".golangci.yml": "golangci-lint configuration",
    ".golangci.yaml": "golangci-lint configuration",
    ".yamllint": "yamllint configuration",
    ".yamllint.yaml": "yamllint configuration",
    "mkdocs.yml": "MkDocs configuration",
    "dependabot.yml": "Dependabot configuration",
}
_COMPOSE = (
    "docker-compose*.yml",
    "docker-compose*.yaml",
    "compose.yml",
    "compose.yaml",
    "compose.*.yml",
    "compose.*.yaml",
)
# what every pattern of _COMPOSE starts with: most names are tested by this alone
_COMPOSE_PREFIXES = ("docker-compose", "compose")


# every name that is answered for by itself: one look-up for each file of a run
_BY_NAME = {
    **_NEIGHBOURS,
    CHART_FILE: "Helm chart metadata",
    "Chart.lock": "Helm chart metadata",
    **dict.fromkeys(
        KUSTOMIZATION_FILES, "kustomization (kustomize's own file, not applied to a cluster)"
    ),
}


def neighbour_reason(display: str) -> str | None:
    """Why a file is not a Kubernetes manifest by its name and folder alone, or None."""
    normal = display.replace(os.sep, "/")
    name = normal[normal.rfind("/") + 1 :]
    reason = _BY_NAME.get(name)
    if reason is not None:
        return reason
    if "workflows/" in normal and (  # (the names made only for a name in such a folder)
        "/.github/workflows/" in f"/{normal}" or "/.gitea/workflows/" in f"/{normal}"
    ):
        return "CI workflow"
    if normal.endswith(".circleci/config.yml"):
        return "CircleCI configuration"
    if name.startswith(_COMPOSE_PREFIXES):
        import fnmatch  # here: not imported at start-up for the few names it is asked of

        if any(fnmatch.fnmatchcase(name, pattern) for pattern in _COMPOSE):
            return "Compose file"
    return None


def _last_separator(display: str) -> int:
    """Where the last separator of ``display`` is (-1 when it has none)."""
    found = display.rfind(os.sep)
    if os.altsep is not None:  # Windows: "/" too
        found = max(found, display.rfind(os.altsep))
    return found


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class Relation(enum.IntEnum):
    """How two files are applied, nearest first: the first four are applied together."""

    SAME_FILE = 0
    SAME_FOLDER = 1  # plain files of one folder: ``kubectl apply -f DIR``
    SAME_BUILD = 2  # one kustomize build, its bases and components included
    SAME_CHART = 3
    OTHER_FOLDERS = 4  # plain files that no kustomization joins: alternatives, or applied apart
    APART = 5  # a kustomize build or a chart holds one file and not the other

    @property
    def together(self) -> bool:
        return self <= Relation.SAME_CHART


def plain_relation(a: str, b: str) -> Relation:
    """:meth:`RepoModel.relation` without a model: every file is a plain file."""
    if a == b:
        return Relation.SAME_FILE
    if a.startswith("<") or b.startswith("<"):
        return Relation.SAME_FOLDER
    same = os.path.dirname(os.path.normpath(a)) == os.path.dirname(os.path.normpath(b))
    return Relation.SAME_FOLDER if same else Relation.OTHER_FOLDERS


def plain_relation_class(display: str) -> Hashable:
    """The class of a file under :func:`plain_relation`: its folder (text given on stdin
    is its own class)."""
    if display.startswith("<"):
        return display
    return os.path.dirname(os.path.normpath(display))


@record(frozen=True, slots=True)
class _Probe:
    kustomization: str | None  # the kustomization file found in a folder
    chart: bool


class RepoModel:
    """Kustomizations and charts around a run's files (see the module documentation)."""

    def __init__(self, base: str | os.PathLike[str] | None = None) -> None:
        self.base = os.path.abspath(base if base is not None else os.getcwd())
        self._roots: dict[str, str] = {}
        self._probes: dict[str, _Probe] = {}
        self.kustomizations: dict[str, Kustomization] = {}  # folder → its kustomization
        self.charts: dict[str, Chart] = {}  # folder → chart
        # file → kustomizations naming it as a patch / as a resource or CRD (direct)
        self._patch_users: dict[str, list[Kustomization]] = {}
        self._members: dict[str, list[Kustomization]] = {}
        self._roles: dict[str, str] = {}  # file → why it is no manifest (generator data, ...)
        # kustomization folder → the kustomizations that build it (as a resource or component)
        self._parents: dict[str, list[Kustomization]] = {}
        self.files_read: list[str] = []  # every path probed or read (for the run cache)
        self._memberships: dict[str, tuple[frozenset[str], str | None, str]] = {}

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def scan(cls, displays: Iterable[str], base: str | os.PathLike[str] | None = None) -> RepoModel:
        model = cls(base)
        pending: list[str] = []
        # the files of one folder (the same text before their last separator) share their
        # folder, probed with its parents at the first of them: the others are passed over
        # without making their key (a walk gives hundreds of files a folder, and the key and
        # folder of each were most of the scan)
        heads: set[str] = set()
        for display in displays:
            head = display[: _last_separator(display) + 1]
            if head in heads:
                continue
            heads.add(head)
            folder = os.path.dirname(model.key(display))
            root = model.root_of(folder)
            current = folder
            while _within(current, root):
                if current in model._probes:
                    break  # this folder and its parents are done
                pending.extend(model._probe(current))
                if current == root:
                    break
                current = os.path.dirname(current)
        model._follow(pending)
        model._link()
        return model

    def key(self, display: str) -> str:
        return os.path.normpath(os.path.join(self.base, display))

    def root_of(self, folder: str) -> str:
        """The repository root for ``folder``: its git work tree, else the working folder
        when ``folder`` is inside it, else ``folder`` itself."""
        found = self._roots.get(folder)
        if found is None:
            tree = find_work_tree(folder)
            if tree is not None:
                found = tree
            elif _within(folder, self.base):
                found = self.base
            else:
                found = folder
            self._roots[folder] = found
        return found

    def _probe(self, folder: str) -> list[str]:
        """Look for a kustomization and a chart in ``folder``; the folders its kustomization
        names, to look at next."""
        if folder in self._probes:
            return []
        found: str | None = None
        for name in KUSTOMIZATION_FILES:
            path = os.path.join(folder, name)
            self.files_read.append(path)
            if os.path.isfile(path):
                found = path
                break
        chart_path = os.path.join(folder, CHART_FILE)
        self.files_read.append(chart_path)
        chart = os.path.isfile(chart_path)
        self._probes[folder] = _Probe(found, chart)
        if chart:
            self.charts[folder] = Chart(folder, chart_name(chart_path))
        if found is None or len(self.kustomizations) >= _MAX_KUSTOMIZATIONS:
            return []
        value = _read_kustomization(found)
        if value is None:
            return []
        from kpolicy.kustomize import parse  # a run without kustomizations does without

        kustomization = parse(found, value)
        self.kustomizations[folder] = kustomization
        root = self.root_of(folder)
        return [
            path
            for path in (*kustomization.resources, *kustomization.components)
            if _within(path, root) and _within(os.path.realpath(path), os.path.realpath(root))
        ]

    def _follow(self, pending: list[str]) -> None:
        while pending:
            path = pending.pop()
            if path in self._probes or not os.path.isdir(path):
                continue
            pending.extend(self._probe(path))

    def _link(self) -> None:
        for kustomization in self.kustomizations.values():
            for path in kustomization.patches:
                self._patch_users.setdefault(path, []).append(kustomization)
            for path in (*kustomization.resources, *kustomization.crds):
                if path in self.kustomizations:
                    self._parents.setdefault(path, []).append(kustomization)
                else:
                    self._members.setdefault(path, []).append(kustomization)
            for path in kustomization.components:
                self._parents.setdefault(path, []).append(kustomization)
            for path in kustomization.data_files:
                self._roles.setdefault(
                    path, f"data file of a kustomize generator in {self._show(kustomization.file)}"
                )
            for path in kustomization.config_files:
                self._roles.setdefault(
                    path, f"kustomize configuration named by {self._show(kustomization.file)}"
                )

    def _show(self, path: str) -> str:
        if _within(path, self.base):
            return os.path.relpath(path, self.base)
        return path

    # -- queries -----------------------------------------------------------------------------

    def chart_of(self, display: str) -> Chart | None:
        """The nearest chart at or above the file's folder (within its root)."""
        folder = os.path.dirname(self.key(display))
        root = self.root_of(folder)
        while _within(folder, root):
            chart = self.charts.get(folder)
            if chart is not None:
                return chart
            if folder == root:
                break
            folder = os.path.dirname(folder)
        return None

    def template_chart(self, display: str) -> Chart | None:
        """The chart whose ``templates/`` holds the file, or None."""
        path = self.key(display)
        chart = self.chart_of(display)
        if chart is None:
            return None
        return chart if _within(path, os.path.join(chart.folder, TEMPLATES)) else None

    def skip_reason(self, display: str) -> tuple[str, str] | None:
        """(why, group) when the file is not a manifest by its name or its role in the
        repository (a chart's template or values, a kustomize generator's data), else None."""
        reason = neighbour_reason(display)
        if reason is not None:
            return reason, NOT_MANIFESTS
        if not self.charts and not self._roles:
            return None
        path = self.key(display)
        role = self._roles.get(path)
        if role is not None:
            return role, NOT_MANIFESTS
        chart = self.chart_of(display)
        if chart is not None:
            if _within(path, os.path.join(chart.folder, TEMPLATES)):
                return f"template of the Helm chart in {self._show(chart.folder)}", HELM_TEMPLATES
            name = os.path.basename(path)
            if os.path.dirname(path) == chart.folder and (
                is_values_file(name) or name in CHART_METADATA
            ):
                return (
                    f"values or metadata of the Helm chart in {self._show(chart.folder)}",
                    NOT_MANIFESTS,
                )
        return None

    def patch_users(self, display: str) -> list[Kustomization]:
        """The kustomizations and components that name the file as a patch."""
        return list(self._patch_users.get(self.key(display), ()))

    def adapts_files(self) -> bool:
        """Whether a kustomization names a file as a patch or as a member of its build: else
        :meth:`is_patch` is False, and :meth:`injected_labels` and :meth:`image_overrides` are
        empty, for every file."""
        return bool(self._patch_users or self._members)

    def is_patch(self, display: str) -> bool:
        return self.key(display) in self._patch_users

    def patch_files(self) -> frozenset[str]:
        """Every file named as a patch (absolute paths; see :meth:`key`)."""
        return frozenset(self._patch_users)

    def kustomization_at(self, folder: str) -> Kustomization | None:
        return self.kustomizations.get(os.path.normpath(os.path.join(self.base, folder)))

    def builds_including(self, display: str) -> list[Kustomization]:
        """Every kustomization whose build includes the file as a resource, nearest first:
        those that name it, then those that name their folder (as a resource or a component),
        and so on up."""
        order: list[Kustomization] = []
        seen: set[str] = set()
        queue = list(self._members.get(self.key(display), ()))
        while queue:
            kustomization = queue.pop(0)
            if kustomization.folder in seen:
                continue
            seen.add(kustomization.folder)
            order.append(kustomization)
            queue.extend(self._parents.get(kustomization.folder, ()))
        return order

    def injected_labels(self, display: str) -> tuple[LabelInjection, ...]:
        """The labels that the builds including the file add to its objects (their own, and
        their components'), nearest build first."""
        if not self._members:
            return ()
        found: list[LabelInjection] = []
        for kustomization in self.builds_including(display):
            found.extend(kustomization.labels)
            for component in self._components_of(kustomization):
                found.extend(component.labels)
        return tuple(found)

    def relation(self, a: str, b: str) -> Relation:
        """How two files (display names) are applied (see :class:`Relation`). Text given on
        stdin (``<stdin>``) goes with every file, as if it were in the same folder."""
        if a == b:
            return Relation.SAME_FILE
        if a.startswith("<") or b.startswith("<"):
            return Relation.SAME_FOLDER
        builds_a, chart_a, folder_a = self._membership(a)
        builds_b, chart_b, folder_b = self._membership(b)
        if builds_a & builds_b:
            return Relation.SAME_BUILD
        if chart_a is not None and chart_a == chart_b:
            return Relation.SAME_CHART
        if builds_a or builds_b or chart_a is not None or chart_b is not None:
            return Relation.APART
        return Relation.SAME_FOLDER if folder_a == folder_b else Relation.OTHER_FOLDERS

    def relation_class(self, display: str) -> Hashable:
        """What :meth:`relation` reads of a file other than its name: two different files of
        one class relate alike to every other file (text given on stdin is its own class)."""
        if display.startswith("<"):
            return display
        return self._membership(display)

    def applied_together(self, a: str, b: str) -> bool:
        """Whether two files are applied together: the same file, one kustomize build (bases
        and components included), one chart, or plain files of one folder (what
        ``kubectl apply -f DIR`` applies). Files in different folders that no kustomization
        joins are alternatives or separate applications."""
        return self.relation(a, b).together

    def _membership(self, display: str) -> tuple[frozenset[str], str | None, str]:
        """(the folders of the builds including the file, its chart's folder, its folder),
        once per file and model."""
        found = self._memberships.get(display)
        if found is None:
            # a repository without charts or kustomizations (most) has nothing to walk up to
            chart = self.chart_of(display) if self.charts else None
            builds = self.builds_including(display) if self._members else ()
            found = (
                frozenset(k.folder for k in builds),
                chart.folder if chart is not None else None,
                os.path.dirname(self.key(display)),
            )
            self._memberships[display] = found
        return found

    def image_overrides(self, display: str) -> tuple[ImageOverride, ...]:
        """The ``images:`` entries of the builds including the file, nearest build first (the
        nearest build's transformer runs first, so its entry wins)."""
        if not self._members:
            return ()
        found: list[ImageOverride] = []
        for kustomization in self.builds_including(display):
            found.extend(kustomization.images)
            for component in self._components_of(kustomization):
                found.extend(component.images)
        return tuple(found)

    def _components_of(self, kustomization: Kustomization) -> list[Kustomization]:
        found: list[Kustomization] = []
        pending = list(kustomization.components)
        seen: set[str] = set()
        while pending:
            folder = pending.pop(0)
            component = self.kustomizations.get(folder)
            if component is None or folder in seen:
                continue
            seen.add(folder)
            found.append(component)
            pending.extend(component.components)
        return found


def _read_kustomization(path: str) -> dict[str, object] | None:
    """The first document of a kustomization file, or None when it cannot be read."""
    from kpolicy.load import decode, load_documents
    from kpolicy.model import SourceFile

    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_KUSTOMIZATION_BYTES + 1)
    except (OSError, ValueError):
        return None
    if len(data) > _MAX_KUSTOMIZATION_BYTES:
        return None
    text, _, _ = decode(data)
    if text is None:
        return None
    documents, _ = load_documents(SourceFile(path, text))
    if not documents or not isinstance(documents[0].value, dict):
        return None
    return documents[0].value
