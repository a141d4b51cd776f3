"""Did-you-mean suggestions: :func:`close_matches` is ``difflib.get_close_matches`` without
importing :mod:`difflib` (1-1.5 ms with :mod:`heapq`, paid by each worker process of a run
whose input has an unknown field, a common typo) for the inputs kpolicy asks: a short word
among a few dozen strings.

The answer is difflib's exactly (``tests/test_suggest.py`` holds it to difflib): a
possibility's score is ``SequenceMatcher(None, possibility, word).ratio()``, twice the
characters of its matching blocks over the two lengths, where the blocks are found as
difflib finds them (the longest common run, the earliest in the possibility then in the
word, then the same on each side of it); a word of 200 characters or more (where difflib
treats frequent characters as junk), or an argument of another type or out of range, is
passed to difflib itself.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

# difflib's SequenceMatcher treats a character as junk in a word this long or longer
_AUTOJUNK_LENGTH = 200


def close_matches(
    word: str, possibilities: Iterable[str], n: int = 3, cutoff: float = 0.6
) -> list[str]:
    """``difflib.get_close_matches(word, possibilities, n, cutoff)``."""
    possibilities = list(possibilities)
    if (
        word.__class__ is not str
        or len(word) >= _AUTOJUNK_LENGTH
        or n.__class__ is not int
        or not n > 0
        or cutoff.__class__ not in (int, float)
        or not 0.0 <= cutoff <= 1.0
        or any(p.__class__ is not str for p in possibilities)
    ):
        import difflib

        return difflib.get_close_matches(word, possibilities, n, cutoff)
    places: dict[str, list[int]] = {}
    for index, char in enumerate(word):
        places.setdefault(char, []).append(index)
    scored: list[tuple[float, str]] = []
    size = len(word)
    for possibility in possibilities:
        total = len(possibility) + size
        if total:
            # difflib's own bounds (a score is never above them): no more characters match
            # than the shorter has, nor than the two have in common, counted with repeats
            if 2.0 * min(len(possibility), size) / total < cutoff:
                continue
            common = 0
            left: dict[str, int] = {}
            for char in possibility:
                have = left.get(char)
                if have is None:
                    chars = places.get(char)
                    have = len(chars) if chars is not None else 0
                if have > 0:
                    common += 1
                left[char] = have - 1
            if 2.0 * common / total < cutoff:
                continue
        score = 2.0 * _matched(possibility, word, places) / total if total else 1.0
        if score >= cutoff:
            scored.append((score, possibility))
    scored.sort(reverse=True)  # (what heapq.nlargest gives, in its order)
    return [possibility for _, possibility in scored[:n]]


def _matched(a: str, b: str, places: dict[str, list[int]]) -> int:
    """The characters of the matching blocks of ``a`` and ``b`` as difflib's SequenceMatcher
    finds them (``places``: the indexes of each character in ``b``, in order)."""
    matched = 0
    pending = [(0, len(a), 0, len(b))]
    while pending:
        a_low, a_high, b_low, b_high = pending.pop()
        # the longest common run in a[a_low:a_high] and b[b_low:b_high]: the first found,
        # by where it ends in a, then in b (the earliest start in a, then in b)
        start_a = start_b = longest = 0
        ending: dict[int, int] = {}  # where a run ends in b → its length, for the row above
        for i in range(a_low, a_high):
            row: dict[int, int] = {}
            for j in places.get(a[i], ()):
                if j < b_low:
                    continue
                if j >= b_high:
                    break
                length = row[j] = ending.get(j - 1, 0) + 1
                if length > longest:
                    start_a, start_b, longest = i - length + 1, j - length + 1, length
            ending = row
        if longest:
            matched += longest
            if a_low < start_a and b_low < start_b:
                pending.append((a_low, start_a, b_low, start_b))
            if start_a + longest < a_high and start_b + longest < b_high:
                pending.append((start_a + longest, a_high, start_b + longest, b_high))
    return matched
