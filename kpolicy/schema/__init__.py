"""Validate manifests against the Kubernetes JSON Schemas, as the API server would decode them.

``SchemaValidator.for_version("1.37")`` is built once per process and version; each kind's
schema is built from the bundle (:mod:`.bundle`) on its first use, except the kinds most inputs
have, which are read built (``schemas/compiled/``, written by ``tools/gen_compiled_schemas.py``). ``validate(obj)`` returns
every problem of a document, each a :class:`SchemaProblem` with the JSON path of the node that is
wrong. Custom resources are validated against their CRDs and ``--schema-dir`` (:mod:`.custom`).

Why two evaluators of our own, and jsonschema
---------------------------------------------
Almost every document is valid, and a valid document must cost next to nothing, while a failing
one must be explained exactly as jsonschema's Draft 2020-12 validator would explain it. One
evaluator cannot be both, so there are two, each held to jsonschema:

- :mod:`.fast` compiles a schema into closures that only answer pass or fail (a few hundred
  nanoseconds a node). It never passes a value jsonschema rejects: where it is unsure it fails,
  and a schema with a keyword it does not know gets no fast check at all. A pass is final.
- :mod:`.lite` evaluates a schema while yielding jsonschema's errors (same keyword, value,
  instance and path, in the same order) without importing jsonschema (whose import alone costs
  ~30 ms of a run). It explains the documents that fail the fast check (:mod:`.explain`, with the
  format checks of :mod:`.formats`) and it runs the declarative rules and policies
  (``kpolicy/policy.py``). It raises ``Unsupported`` for a keyword it does not evaluate.

jsonschema itself is the reference, and the evaluator of last resort: for a keyword :mod:`.lite`
does not know, a document nested deeper than it follows, a value that is not plain JSON, and
every CRD and ``--schema-dir`` schema (which may use any keyword, ``$ref`` across files and
other drafts).

The tests hold both to jsonschema: ``tests/schema/test_fast_check.py`` (every bundled kind's
documents and their mutations, in every supported version, and generated documents: the fast
check's verdict and the explanation equal jsonschema's), ``tests/schema/test_fast_keywords.py``
(generated schemas with the bounds keywords) and ``tests/schema/test_lite.py`` (generated
schemas and instances: the same errors as jsonschema, in the same order).
"""

from kpolicy.schema.bundle import (
    BUNDLE_DIR,
    OVERLAY_JSON_PATH,
    OVERLAY_PATH,
    SCHEMAS_DIR,
    UnsupportedVersion,
    normalize_version,
    served_minors,
    supported_versions,
)
from kpolicy.schema.custom import load_schema_dir
from kpolicy.schema.formats import is_valid_quantity
from kpolicy.schema.instance import MAX_NODES
from kpolicy.schema.problems import (
    RULE_ENUM_INVALID,
    RULE_FORMAT_INVALID,
    RULE_REQUIRED_MISSING,
    RULE_TYPE_MISMATCH,
    RULE_UNKNOWN_FIELD,
    RULE_VALUE_INVALID,
    SCHEMA_RULES,
    SchemaProblem,
)
from kpolicy.schema.validator import SchemaValidator

__all__ = [
    "BUNDLE_DIR",
    "MAX_NODES",
    "OVERLAY_JSON_PATH",
    "OVERLAY_PATH",
    "RULE_ENUM_INVALID",
    "RULE_FORMAT_INVALID",
    "RULE_REQUIRED_MISSING",
    "RULE_TYPE_MISMATCH",
    "RULE_UNKNOWN_FIELD",
    "RULE_VALUE_INVALID",
    "SCHEMAS_DIR",
    "SCHEMA_RULES",
    "SchemaProblem",
    "SchemaValidator",
    "UnsupportedVersion",
    "is_valid_quantity",
    "load_schema_dir",
    "normalize_version",
    "served_minors",
    "supported_versions",
]
