"""kpolicy.lazyre: a pattern compiled on first use behaves as ``re.compile``'s."""

from __future__ import annotations

import re

import pytest

from kpolicy.lazyre import lazy_compile

CASES = [
    (r"(?P<word>[a-z]+)-(\d+)?", 0, "abc-12 x-y zz-"),
    (r"^line\s*$", re.MULTILINE, "line\n  line  \nnot a line\n"),
    (r"[\x00-\x1f\u2028]", 0, "a\x01b\u2028c"),
    (r"É", re.IGNORECASE, "éÉe"),
]


@pytest.mark.parametrize(("source", "flags", "text"), CASES)
def test_lazy_pattern_is_the_compiled_pattern(source: str, flags: int, text: str) -> None:
    compiled = re.compile(source, flags)
    lazy = lazy_compile(source, flags)
    assert "match" not in vars(lazy)  # nothing compiled before a use
    assert lazy.pattern == compiled.pattern
    assert "match" in vars(lazy)  # the first use kept the compiled pattern's attributes
    assert lazy.flags == compiled.flags
    assert lazy.groups == compiled.groups
    assert lazy.groupindex == compiled.groupindex
    for position in range(len(text) + 1):
        for method in ("match", "fullmatch", "search"):
            got = getattr(lazy, method)(text, position)
            want = getattr(compiled, method)(text, position)
            assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups()))
    assert lazy.findall(text) == compiled.findall(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy.sub(lambda m: f"<{m.group()}>", text) == compiled.sub(
        lambda m: f"<{m.group()}>", text
    )
    assert lazy.subn("_", text, count=1) == compiled.subn("_", text, count=1)
    assert lazy.split(text) == compiled.split(text)


def test_a_bad_pattern_fails_where_it_is_used() -> None:
    lazy = lazy_compile("(unclosed")
    with pytest.raises(re.error):
        lazy.match("x")
