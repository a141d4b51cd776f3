"""Syntax checks for names, labels, ports and selectors, as the API server applies them.

Each ``is_*`` function returns a list of error messages, empty when the value is valid. The
checks follow ``k8s.io/apimachinery/pkg/util/validation`` (and the ``api/validate/content``
package it now delegates to). Messages are our own wording, lower-case, and start with the
offending value.

Lengths are counted in UTF-8 bytes as Go's ``len`` does, so a non-ASCII value can be reported
as too long even when it has fewer characters than the limit.

Values of the wrong type (hostile YAML: ``None``, numbers, lists) never raise: they give an
error saying what type was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

    StringCheck = Callable[[object], list[str]]

__all__ = [
    "DNS1035_LABEL_MAX_LENGTH",
    "DNS1123_LABEL_MAX_LENGTH",
    "DNS1123_SUBDOMAIN_MAX_LENGTH",
    "LABEL_VALUE_MAX_LENGTH",
    "QUALIFIED_NAME_MAX_LENGTH",
    "SelectorError",
    "is_c_identifier",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_env_var_name",
    "is_qualified_name",
    "is_strict_env_var_name",
    "is_valid_label_value",
    "is_valid_percent",
    "is_valid_port_name",
    "is_valid_port_num",
    "validate_label_selector",
]

DNS1123_LABEL_MAX_LENGTH: Final = 63
DNS1123_SUBDOMAIN_MAX_LENGTH: Final = 253
DNS1035_LABEL_MAX_LENGTH: Final = 63
QUALIFIED_NAME_MAX_LENGTH: Final = 63
LABEL_VALUE_MAX_LENGTH: Final = 63
_PORT_NAME_MAX_LENGTH: Final = 15

# The shapes the checks below accept, each as its pattern (the reference: tests/k8s hold every
# function of TEXT_SHAPES to its pattern) and as str methods, which a check uses: a pattern
# costs 20-140 µs to compile, which every run would pay for the few names it checks.
_DNS1123_LABEL: Final = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN: Final = rf"{_DNS1123_LABEL}(?:\.{_DNS1123_LABEL})*"
_DNS1035_LABEL: Final = r"[a-z](?:[-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME: Final = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE: Final = r"(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
_PORT_NAME_CHARSET: Final = r"[-a-z0-9]+"
_PORT_NAME_LETTER: Final = r"[a-z]"  # searched, not matched whole
_C_IDENTIFIER: Final = r"[A-Za-z_][A-Za-z0-9_]*"
_PERCENT: Final = r"[0-9]+%"
_STRICT_ENV_VAR_NAME: Final = r"[-._a-zA-Z][-._a-zA-Z0-9]*"
# Printable ASCII (space through '~') except '=': what Go's unicode.IsPrint accepts below 0x80.
_RELAXED_ENV_VAR_NAME: Final = r"[\x20-\x3c\x3e-\x7e]*"

_LOWER_LETTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz")


def _alnum_or(text: str, others: str) -> bool:
    """Whether ``text`` (ASCII) is letters, digits and ``others`` only (True when empty)."""
    for other in others:
        text = text.replace(other, "")
    return not text or text.isalnum()


def _dns1123_label_text(value: str) -> bool:
    return (
        value.isascii()
        and value[:1].isalnum()
        and value[-1:].isalnum()
        and _alnum_or(value, "-")
        and value == value.lower()
    )


def _dns1123_subdomain_text(value: str) -> bool:
    return all(_dns1123_label_text(label) for label in value.split("."))


def _dns1035_label_text(value: str) -> bool:
    return _dns1123_label_text(value) and value[0].isalpha()


def _qualified_name_text(value: str) -> bool:
    return (
        value.isascii() and value[:1].isalnum() and value[-1:].isalnum() and _alnum_or(value, "-_.")
    )


def _label_value_text(value: str) -> bool:
    return not value or _qualified_name_text(value)


def _port_name_charset_text(value: str) -> bool:
    return bool(value) and value.isascii() and _alnum_or(value, "-") and value == value.lower()


def _port_name_letter_text(value: str) -> bool:
    return not _LOWER_LETTERS.isdisjoint(value)


def _c_identifier_text(value: str) -> bool:
    return value.isascii() and value[:1] not in "0123456789" and _alnum_or(value, "_")


def percent_text(value: str) -> bool:
    """Digits and a final ``%`` (percentFmt), told without its pattern."""
    digits = value[:-1]
    return value[-1:] == "%" and digits.isascii() and digits.isdigit()


def _strict_env_var_name_text(value: str) -> bool:
    return value.isascii() and value[:1] not in "0123456789" and _alnum_or(value, "-._")


def _relaxed_env_var_name_text(value: str) -> bool:
    return "=" not in value and value.isascii() and value.isprintable()


# (function, its pattern, whether the pattern is searched rather than matched whole)
TEXT_SHAPES: Final = (
    (_dns1123_label_text, _DNS1123_LABEL, False),
    (_dns1123_subdomain_text, _DNS1123_SUBDOMAIN, False),
    (_dns1035_label_text, _DNS1035_LABEL, False),
    (_qualified_name_text, _QUALIFIED_NAME, False),
    (_label_value_text, _LABEL_VALUE, False),
    (_port_name_charset_text, _PORT_NAME_CHARSET, False),
    (_port_name_letter_text, _PORT_NAME_LETTER, True),
    (_c_identifier_text, _C_IDENTIFIER, False),
    (percent_text, _PERCENT, False),
    (_strict_env_var_name_text, _STRICT_ENV_VAR_NAME, False),
    (_relaxed_env_var_name_text, _RELAXED_ENV_VAR_NAME, False),
)

# A relative path inside the selector (keys and list indexes) and its message.
SelectorError = tuple[tuple[str | int, ...], str]


# A run asks about the same few strings again and again (label keys such as
# app.kubernetes.io/name on every object, the same names, ports and values): each check below
# keeps its answer per string, at most this many strings (then it starts again), so that a
# long-running language server does not grow with what it has seen.
_MEMO_LIMIT: Final = 4096
# nor a string longer than any valid name (DNS-1123 subdomain, 253): its answer is an error, rare,
# and a language server would hold such texts and their messages long after their files closed
_MEMO_LONGEST: Final = 253
# memoised check -> the check itself (tests hold the one to the other)
_GENERAL: dict[StringCheck, StringCheck] = {}
# memoised check -> whether a value passes it (``not check(value)``, from the same answers)
_PASSES: dict[StringCheck, Callable[[object], bool]] = {}
# memoised check -> the strings among its answers that pass it (cleared with them)
_VALID: dict[StringCheck, set[str]] = {}


def _by_value(check: StringCheck) -> StringCheck:
    """``check`` answered once per distinct string (a copy of the answer each time); any other
    value (of the wrong type: hostile YAML) and a string longer than ``_MEMO_LONGEST`` go to
    ``check`` itself."""
    answers: dict[str, tuple[str, ...]] = {}
    valid: set[str] = set()  # the strings among answers that pass

    def memoised(value: object) -> list[str]:
        if value.__class__ is not str or len(value) > _MEMO_LONGEST:
            return check(value)
        found = answers.get(value)
        if found is None:
            if len(answers) >= _MEMO_LIMIT:
                answers.clear()
                valid.clear()
            found = answers[value] = tuple(check(value))
            if not found:
                valid.add(value)
        return list(found)

    def passes(value: object) -> bool:
        # the common answer (a valid string seen before) without copying it
        if value.__class__ is str and answers.get(value) == ():
            return True
        return not memoised(value)

    memoised.__name__ = check.__name__
    memoised.__qualname__ = check.__qualname__
    memoised.__doc__ = check.__doc__
    _GENERAL[memoised] = check
    _PASSES[memoised] = passes
    _VALID[memoised] = valid
    return memoised


def passes(check: StringCheck) -> Callable[[object], bool]:
    """Whether a value passes ``check`` (``not check(value)``): for a memoised check
    (:func:`_by_value`) a dictionary look-up once the string was seen, without a list made."""
    found = _PASSES.get(check)
    if found is not None:
        return found
    return lambda value: not check(value)


def known_valid(check: StringCheck) -> Collection[str]:
    """Strings known to pass a memoised check (:func:`_by_value`): those it has answered with
    no error, kept as long as its answers (the same set object, emptied when they are); empty
    for a check without memo. A caller's look-up there answers :func:`passes` for the usual
    value without a call; a string not there is asked of the check."""
    return _VALID.get(check, _NO_STRINGS)


_NO_STRINGS: Final[frozenset[str]] = frozenset()


def general(check: StringCheck) -> StringCheck:
    """The check a memoised one (:func:`_by_value`) answers with: for tests."""
    return _GENERAL.get(check, check)


def _quote(value: str) -> str:
    return repr(value)


def _byte_len(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def _not_a_string(value: object) -> list[str]:
    return [f"{value!r} must be a string, not {_type_name(value)}"]


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _too_long(value: str, limit: int) -> str:
    return f"{_quote(value)} must be no more than {limit} characters"


# follows k8s.io/apimachinery/pkg/util/validation.IsDNS1123Label
@_by_value
def is_dns1123_label(value: object) -> list[str]:
    """An RFC 1123 label: at most 63 of ``a-z0-9-``, alphanumeric at both ends."""
    if not isinstance(value, str):
        return _not_a_string(value)
    errors: list[str] = []
    if _byte_len(value) > DNS1123_LABEL_MAX_LENGTH:
        errors.append(_too_long(value, DNS1123_LABEL_MAX_LENGTH))
    if not _dns1123_label_text(value):
        if _dns1123_subdomain_text(value):
            errors.append(f"{_quote(value)} must not contain dots")
        else:
            errors.append(
                f"{_quote(value)} must be lower-case letters, digits or '-', starting and "
                "ending with a letter or digit (e.g. 'my-name' or '123-abc')"
            )
    return errors


# follows k8s.io/apimachinery/pkg/util/validation.IsDNS1123Subdomain
@_by_value
def is_dns1123_subdomain(value: object) -> list[str]:
    """An RFC 1123 subdomain: dot-separated labels, at most 253 characters in all."""
    if not isinstance(value, str):
        return _not_a_string(value)
    errors: list[str] = []
    if _byte_len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errors.append(_too_long(value, DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _dns1123_subdomain_text(value):
        errors.append(
            f"{_quote(value)} must be lower-case letters, digits, '-' or '.', starting and "
            "ending with a letter or digit (e.g. 'example.com')"
        )
    return errors


# follows k8s.io/apimachinery/pkg/util/validation.IsDNS1035Label
@_by_value
def is_dns1035_label(value: object) -> list[str]:
    """An RFC 1035 label: like an RFC 1123 label but starting with a letter."""
    if not isinstance(value, str):
        return _not_a_string(value)
    errors: list[str] = []
    if _byte_len(value) > DNS1035_LABEL_MAX_LENGTH:
        errors.append(_too_long(value, DNS1035_LABEL_MAX_LENGTH))
    if not _dns1035_label_text(value):
        errors.append(
            f"{_quote(value)} must be lower-case letters, digits or '-', starting with a "
            "letter and ending with a letter or digit (e.g. 'my-name' or 'abc-123')"
        )
    return errors


# follows k8s.io/apimachinery/pkg/util/validation.IsQualifiedName
# (now k8s.io/apimachinery/pkg/api/validate/content.IsLabelKey)
@_by_value
def is_qualified_name(value: object) -> list[str]:
    """A label or annotation key: optional DNS-subdomain prefix and ``/``, then a name.

    The name is at most 63 of ``A-Za-z0-9-_.``, alphanumeric at both ends.
    """
    if not isinstance(value, str):
        return _not_a_string(value)
    # the common case, a valid name without a prefix (the pattern takes ASCII only, so its
    # length in characters is its length in bytes)
    if len(value) <= QUALIFIED_NAME_MAX_LENGTH and _qualified_name_text(value):
        return []
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        return [
            (
                f"{_quote(value)} must be a name of alphanumerics, '-', '_' or '.' that starts and "
                "ends with an alphanumeric, with an optional DNS subdomain prefix and '/' "
                "(e.g. 'MyName', 'my.name' or 'example.com/MyName')"
            )
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append(f"{_quote(value)} has an empty prefix before '/'")
        elif _byte_len(prefix) > DNS1123_SUBDOMAIN_MAX_LENGTH:
            errors.append(
                f"{_quote(value)} has a prefix longer than "
                f"{DNS1123_SUBDOMAIN_MAX_LENGTH} characters"
            )
        if prefix and not _dns1123_subdomain_text(prefix):
            errors.append(
                f"{_quote(value)} has prefix {_quote(prefix)}, which must be a DNS subdomain: "
                "lower-case letters, digits, '-' or '.', starting and ending with a letter "
                "or digit"
            )
    if not name:
        errors.append(f"{_quote(value)} has an empty name part")
    elif _byte_len(name) > QUALIFIED_NAME_MAX_LENGTH:
        errors.append(
            f"{_quote(value)} has a name part longer than {QUALIFIED_NAME_MAX_LENGTH} characters"
        )
    if name and not _qualified_name_text(name):
        errors.append(
            f"{_quote(value)} has name part {_quote(name)}, which must be alphanumerics, '-', "
            "'_' or '.', starting and ending with an alphanumeric (e.g. 'MyName' or 'my.name')"
        )
    return errors


# follows k8s.io/apimachinery/pkg/util/validation.IsValidLabelValue
# (now k8s.io/apimachinery/pkg/api/validate/content.IsLabelValue)
@_by_value
def is_valid_label_value(value: object) -> list[str]:
    """A label value: empty, or at most 63 of ``A-Za-z0-9-_.``, alphanumeric at both ends."""
    if not isinstance(value, str):
        return _not_a_string(value)
    # a valid value (the pattern takes ASCII only: characters are bytes)
    if len(value) <= LABEL_VALUE_MAX_LENGTH and _label_value_text(value):
        return []
    errors: list[str] = []
    if _byte_len(value) > LABEL_VALUE_MAX_LENGTH:
        errors.append(_too_long(value, LABEL_VALUE_MAX_LENGTH))
    if not _label_value_text(value):
        errors.append(
            f"{_quote(value)} must be empty or alphanumerics, '-', '_' or '.', starting and "
            "ending with an alphanumeric (e.g. 'MyValue', 'my_value' or '12345')"
        )
    return errors


# follows k8s.io/apimachinery/pkg/util/validation.IsValidPortName
@_by_value
def is_valid_port_name(value: object) -> list[str]:
    """An IANA_SVC_NAME (RFC 6335), lower-case only.

    At most 15 of ``a-z0-9-``, at least one letter, no ``--``, no ``-`` at either end.
    """
    if not isinstance(value, str):
        return _not_a_string(value)
    errors: list[str] = []
    if _byte_len(value) > _PORT_NAME_MAX_LENGTH:
        errors.append(_too_long(value, _PORT_NAME_MAX_LENGTH))
    if not _port_name_charset_text(value):
        errors.append(f"{_quote(value)} must contain only lower-case letters, digits and '-'")
    if not _port_name_letter_text(value):
        errors.append(f"{_quote(value)} must contain at least one letter (a-z)")
    if "--" in value:
        errors.append(f"{_quote(value)} must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        errors.append(f"{_quote(value)} must not begin or end with a hyphen")
    return errors


# follows k8s.io/apimachinery/pkg/util/validation.IsValidPortNum
def is_valid_port_num(value: object) -> list[str]:
    """A port number from 1 to 65535 inclusive."""
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"port {value!r} must be an integer, not {_type_name(value)}"]
    if 1 <= value <= 65535:
        return []
    return [f"port {value} must be between 1 and 65535, inclusive"]


# follows k8s.io/apimachinery/pkg/util/validation.IsRelaxedEnvVarName, which container env
# names are checked with while the RelaxedEnvironmentVariableValidation feature gate is on
# (beta and on by default since 1.32, GA and locked on since 1.34).
@_by_value
def is_env_var_name(value: object) -> list[str]:
    """An environment variable name as current API servers accept it.

    Any non-empty run of printable ASCII characters (space included) other than ``=``.
    Clusters older than 1.32 apply :func:`is_strict_env_var_name` instead.
    """
    if not isinstance(value, str):
        return _not_a_string(value)
    errors: list[str] = []
    if not value:
        errors.append("environment variable name must not be empty")
    if not _relaxed_env_var_name_text(value):
        errors.append(
            f"environment variable name {_quote(value)} must contain only printable ASCII "
            "characters other than '='"
        )
    return errors


# follows k8s.io/apimachinery/pkg/util/validation.IsEnvVarName (the rule before
# RelaxedEnvironmentVariableValidation; still used for ConfigMap-style keys and by older clusters)
@_by_value
def is_strict_env_var_name(value: object) -> list[str]:
    """The classic rule: ``[-._a-zA-Z][-._a-zA-Z0-9]*``, and not ``.``, ``..`` or ``..*``."""
    if not isinstance(value, str):
        return _not_a_string(value)
    errors: list[str] = []
    if not _strict_env_var_name_text(value):
        errors.append(
            f"environment variable name {_quote(value)} must consist of letters, digits, '_', "
            "'-' or '.', and must not start with a digit (e.g. 'my.env-name' or 'MY_ENV.NAME')"
        )
    # follows hasChDirPrefix
    if value == ".":
        errors.append("environment variable name must not be '.'")
    elif value == "..":
        errors.append("environment variable name must not be '..'")
    elif value.startswith(".."):
        errors.append(f"environment variable name {_quote(value)} must not start with '..'")
    return errors


# follows k8s.io/apimachinery/pkg/util/validation.IsCIdentifier
@_by_value
def is_c_identifier(value: object) -> list[str]:
    """A C identifier: a letter or ``_``, then letters, digits or ``_`` (length unchecked)."""
    if not isinstance(value, str):
        return _not_a_string(value)
    if not _c_identifier_text(value):
        return [
            (
                f"{_quote(value)} must start with a letter or '_' followed by letters, digits or "
                "'_' (e.g. 'my_name', 'MY_NAME' or 'MyName')"
            )
        ]
    return []


# follows k8s.io/apimachinery/pkg/util/validation.IsValidPercent
@_by_value
def is_valid_percent(value: object) -> list[str]:
    """Digits followed by ``%``: ``"5%"``, ``"100%"``; not ``"-5%"``, ``"5"`` or ``"5.5%"``."""
    if not isinstance(value, str):
        return _not_a_string(value)
    if not percent_text(value):
        return [f"{_quote(value)} must be digits followed by '%' (e.g. '1%' or '93%')"]
    return []


# follows k8s.io/apimachinery/pkg/apis/meta/v1/validation.ValidateLabelSelector with
# LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: false}, as the apps
# workloads validate spec.selector (ValidateLabelSelectorRequirement, ValidateLabels).
def validate_label_selector(selector: object) -> list[SelectorError]:
    """Errors in a ``metav1.LabelSelector``, each with its path relative to the selector.

    ``None`` (an absent selector) has no errors here: whether it is required is the caller's
    business, as is the rule that workloads reject an empty selector. Kubernetes reports
    matchLabels problems at ``matchLabels``; we point at ``("matchLabels", key)`` so that a
    diagnostic can land on the offending entry. Wrong types are reported, never raised.
    """
    if selector is None:
        return []
    if not isinstance(selector, Mapping):
        return [((), f"selector must be a mapping, not {_type_name(selector)}")]
    errors: list[SelectorError] = []
    errors.extend(_validate_match_labels(selector.get("matchLabels")))
    expressions = selector.get("matchExpressions")
    if expressions is None:
        return errors
    if not isinstance(expressions, list):
        errors.append((("matchExpressions",), f"must be a list, not {_type_name(expressions)}"))
        return errors
    for index, expression in enumerate(expressions):
        errors.extend(
            (("matchExpressions", index, *path), message)
            for path, message in _validate_requirement(expression)
        )
    return errors


def _validate_match_labels(match_labels: object) -> list[SelectorError]:
    if match_labels is None:
        return []
    if not isinstance(match_labels, Mapping):
        return [(("matchLabels",), f"must be a mapping, not {_type_name(match_labels)}")]
    errors: list[SelectorError] = []
    key_passes = _PASSES[is_qualified_name]
    value_passes = _PASSES[is_valid_label_value]
    for key, value in match_labels.items():
        if (
            key.__class__ is str
            and value.__class__ is str
            and key_passes(key)
            and value_passes(value)
        ):
            continue  # a valid pair (the usual case): no message to make
        path: tuple[str | int, ...] = (
            "matchLabels",
            key if isinstance(key, str) else str(key),
        )
        errors.extend((path, f"label key {message}") for message in is_qualified_name(key))
        errors.extend((path, f"label value {message}") for message in is_valid_label_value(value))
    return errors


def _validate_requirement(expression: object) -> list[SelectorError]:
    if not isinstance(expression, Mapping):
        return [((), f"expression must be a mapping, not {_type_name(expression)}")]
    errors: list[SelectorError] = []
    operator = expression.get("operator")
    values = expression.get("values")
    value_list: list[object] = []
    if values is not None:
        if isinstance(values, list):
            value_list = values
        else:
            errors.append((("values",), f"must be a list, not {_type_name(values)}"))
    if operator in ("In", "NotIn"):
        if values is None or (isinstance(values, list) and not values):
            errors.append((("values",), f"values must be given when operator is {operator!r}"))
    elif operator in ("Exists", "DoesNotExist"):
        if value_list:
            errors.append((("values",), f"values must not be given when operator is {operator!r}"))
    elif operator is None:
        errors.append(
            (
                ("operator",),
                "operator is required: one of 'In', 'NotIn', 'Exists', 'DoesNotExist'",
            )
        )
    else:
        errors.append(
            (
                ("operator",),
                (
                    f"{operator!r} is not a valid selector operator: "
                    "use 'In', 'NotIn', 'Exists' or 'DoesNotExist'"
                ),
            )
        )
    key = expression.get("key")
    if key is None:
        key = ""
    errors.extend((("key",), f"label key {message}") for message in is_qualified_name(key))
    for index, value in enumerate(value_list):
        errors.extend(
            (("values", index), f"label value {message}") for message in is_valid_label_value(value)
        )
    return errors
