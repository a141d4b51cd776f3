"""Services and Pod DNS names: the governing Service of a StatefulSet or of a template's
``subdomain``, the names cluster DNS serves for the Pods, and the closing notes of the
Deployment and DaemonSet plans (which end with those names)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kpolicy.k8s.selector import Selector
from kpolicy.k8s.validation import is_dns1123_label
from kpolicy.plan._fields import (
    _headless,
    _namespace,
    _service_key,
    _template_labels,
)
from kpolicy.plan.changes import (
    _stored_template,
)
from kpolicy.plan.context import DEFAULT_CONTEXT, PlanContext
from kpolicy.plan.data import (
    DNSNames,
    PodDNS,
)


def _find_service(
    services: Sequence[object], namespace: str, name: str
) -> Mapping[str, Any] | None:
    for service in services:
        if isinstance(service, dict) and _service_key(service) == (namespace, name):
            return service
    return None


def _governing_service(
    services: Sequence[object],
    namespace: str,
    name: str,
    pod_labels: Mapping[str, str],
    cluster_domain: str,
    notes: list[str],
) -> tuple[str | None, bool]:
    """The Service domain of ``name`` and whether the Pods get per-Pod DNS records from it.

    Per-Pod records (``<hostname>.<subdomain>.<ns>.svc.<domain>``) come from the endpoints of a
    headless Service (clusterIP None) named like the subdomain, in the Pods' namespace, whose
    selector matches the Pods (endpointutil.ShouldSetHostname).
    """
    service = _find_service(services, namespace, name)
    if service is None:
        notes.append(
            f"no Service {name!r} in namespace {namespace!r} among the inputs: the Pods get "
            "hostnames but no per-Pod DNS names"
        )
        return None, False
    domain = f"{name}.{namespace}.svc.{cluster_domain}"
    spec = service.get("spec")
    service_spec: Mapping[str, Any] = spec if isinstance(spec, dict) else {}
    if not _headless(service):
        notes.append(
            f"Service {name!r} is not headless (clusterIP is not None): its name resolves to "
            "the Service, not to single Pods, so the Pods get no per-Pod DNS names"
        )
        return domain, False
    selector = Selector.from_map(service_spec.get("selector"))
    if selector is None:
        notes.append(f"Service {name!r} has an invalid selector: no per-Pod DNS names")
        return domain, False
    if selector.selects_nothing:
        notes.append(
            f"Service {name!r} has no selector, so no endpoints are published for the Pods "
            "and they get no per-Pod DNS names"
        )
        return domain, False
    if not selector.matches(pod_labels):
        notes.append(
            f"the selector of Service {name!r} ({selector}) does not match the Pod labels: "
            "no per-Pod DNS names"
        )
        return domain, False
    return domain, True


# follows endpointutil.ShouldSetHostname (pkg/controller/util/endpoint/controller_utils.go): an
# endpoint of a Service carries the Pod's hostname, which cluster DNS serves as
# <hostname>.<subdomain>.<namespace>.svc.<domain>, only when the Pod's subdomain names that
# Service in the Pod's namespace; the Service must select the Pod and be headless
def pod_dns_names(
    template: object,
    *,
    namespace: str = "default",
    context: PlanContext = DEFAULT_CONTEXT,
) -> DNSNames:
    """DNS names of the Pods of a Deployment or DaemonSet template.

    Their Pod names are generated, so there is one entry for all replicas, and only when the
    template sets ``hostname``: then every replica has that same hostname, and with a
    ``subdomain`` backed by a headless Service they all share one FQDN.
    """
    if not isinstance(template, dict):
        return DNSNames()
    cluster_domain = context.cluster_domain
    spec = template.get("spec")
    pod_spec: Mapping[str, Any] = spec if isinstance(spec, dict) else {}
    hostname = pod_spec.get("hostname")
    subdomain = pod_spec.get("subdomain")
    hostname = hostname if isinstance(hostname, str) and hostname else None
    subdomain = subdomain if isinstance(subdomain, str) and subdomain else None
    notes: list[str] = []
    if hostname is None and subdomain is None:
        return DNSNames()
    for field_name, value in (("hostname", hostname), ("subdomain", subdomain)):
        if value is not None and is_dns1123_label(value):
            notes.append(
                f"spec.template.spec.{field_name} {value!r} is not a DNS label; the "
                "API server rejects the Pods"
            )
    if hostname is None:
        notes.append(
            f"the template sets subdomain {subdomain!r} without a hostname: each Pod's "
            "hostname is its generated name, so the names cannot be known in advance"
        )
        return DNSNames((), None, tuple(notes))
    fqdn: str | None = None
    domain: str | None = None
    if subdomain is not None:
        domain, records = _governing_service(
            context.services,
            namespace,
            subdomain,
            _template_labels(template),
            cluster_domain,
            notes,
        )
        if records:
            fqdn = f"{hostname}.{subdomain}.{namespace}.svc.{cluster_domain}"
    notes.append(
        f"every replica gets the same hostname {hostname!r}"
        + (f" and the same FQDN {fqdn}" if fqdn else "")
        + ": the name does not tell the replicas apart"
    )
    pod = PodDNS(None, None, hostname, subdomain, fqdn, True)
    return DNSNames((pod,), domain, tuple(notes))


def _closing_notes(
    fields: Any,
    changed_fields: Sequence[str],
    template: Any,
    old_obj: Mapping[str, Any] | None,
    rejected: str | None,
    obj: Mapping[str, Any],
    context: PlanContext,
    notes: list[str],
) -> DNSNames:
    """The notes every Deployment and DaemonSet plan ends with, and the Pods' DNS names
    (those of the stored template: the old one when the API server refuses the update)."""
    min_ready = fields.integer("spec", "minReadySeconds")
    if min_ready:
        notes.append(
            f"minReadySeconds {min_ready}: each step also waits that long for new Pods "
            "to count as available"
        )
    if changed_fields:
        notes.append("changed: " + ", ".join(changed_fields))
    dns = pod_dns_names(
        _stored_template(template, old_obj, rejected),
        namespace=_namespace(obj),
        context=context,
    )
    notes.extend(dns.notes)
    return dns
