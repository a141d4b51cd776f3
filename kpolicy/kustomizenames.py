"""The names and shapes that tell kustomize's files and directives, which every run asks of
its inputs (:mod:`kpolicy.load`, :mod:`kpolicy.repo`, the checks): apart from
:mod:`kpolicy.kustomize`, which parses kustomizations and applies what they change, and which
a run imports only when an input has one (its records and functions were 2M instructions of
every start)."""

from __future__ import annotations

# the file names kustomize reads a kustomization from (konfig.RecognizedKustomizationFileNames)
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZE_KINDS = frozenset({"Kustomization", "Component"})
KUSTOMIZE_API_GROUP = "kustomize.config.k8s.io/"

# strategic-merge directives (k8s.io/apimachinery/pkg/util/strategicpatch: directiveMarker,
# setElementOrderDirectivePrefix, retainKeysDirective, deleteFromPrimitiveListDirectivePrefix)
DIRECTIVE_PREFIXES = ("$patch", "$setElementOrder/", "$retainKeys", "$deleteFromPrimitiveList/")

# Rules that judge a whole object by what it lacks, or by the objects it is applied with. A
# patch says only what it changes: the rest comes from the resource it is merged onto, so these
# rules have nothing to judge there. Every other rule still applies to what a patch does say.
PATCH_EXEMPT_RULES = frozenset(
    {
        "selector-missing",
        "selector-mismatch",
        "selector-overlap",
        "schema-required-missing",
        "service-selector-no-match",
        "service-target-port-unknown",
        "statefulset-service-name-missing",
        "statefulset-service-not-found",
        "statefulset-service-not-headless",
        "statefulset-service-selector-mismatch",
        "statefulset-name-too-long",  # kustomize's namePrefix/nameSuffix apply to the resource
        "probe-port-unknown",  # the port may be declared by the resource
        "volume-mount-unknown",  # the volume may be declared by the resource
        "volume-claim-template-unused",
        "pdb-missing",
        "replicas-set-with-hpa",
        "container-resources-missing",
        "liveness-probe-missing",
        "readiness-probe-missing",
        "anti-affinity-missing",
        "run-as-root",
        "read-only-root-fs-missing",
        "privilege-escalation-allowed",
        "image-tag-missing-or-latest",  # kustomize's images: sets tags on the resource
        "image-pull-policy-not-always-with-latest",
        "rollout-takes-all-down",
        "job-ttl-missing",
        "cronjob-deadline-missing",
        "replicas-too-few",
        "revision-history-limit-zero",
        "progress-deadline-too-short",
        "bare-replica-set",
    }
)


def is_kustomization_name(name: str) -> bool:
    return name in KUSTOMIZATION_FILES


def is_kustomize_document(value: object) -> bool:
    """A kustomization or component by its shape (kind, and a kustomize apiVersion if any)."""
    if not isinstance(value, dict):
        return False
    kind = value.get("kind")
    if not isinstance(kind, str) or kind not in KUSTOMIZE_KINDS:
        return False
    api_version = value.get("apiVersion")
    return api_version is None or (
        isinstance(api_version, str) and api_version.startswith(KUSTOMIZE_API_GROUP)
    )


def has_patch_directive(data: object) -> bool:
    """Whether a strategic-merge directive (``$patch``, ``$setElementOrder/...``,
    ``$retainKeys``, ``$deleteFromPrimitiveList/...``) occurs anywhere in ``data``."""
    stack = [data]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            if any(isinstance(k, str) and k.startswith(DIRECTIVE_PREFIXES) for k in node):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def is_directive_key(key: object) -> bool:
    return isinstance(key, str) and key.startswith(DIRECTIVE_PREFIXES)
