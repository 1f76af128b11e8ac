"""Levenshtein distance on characters, fast enough to run on every approval.

Myers' bit-parallel algorithm (Hyyrö's formulation for edit distance): one pass over the longer
string with the shorter one packed into a Python int, so a 2,000-character edit costs a few
thousand big-int operations instead of the four million cells of the textbook table.
"""

from __future__ import annotations


def _common_affixes(a: str, b: str) -> tuple[str, str]:
    start = 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return a[start:len(a) - end], b[start:len(b) - end]


def levenshtein(a: str, b: str) -> int:
    """Insertions, deletions and substitutions needed to turn ``a`` into ``b``."""
    a, b = _common_affixes(a, b)
    if len(a) > len(b):
        a, b = b, a
    m = len(a)
    if m == 0:
        return len(b)
    positions: dict[str, int] = {}
    for i, char in enumerate(a):
        positions[char] = positions.get(char, 0) | (1 << i)
    full = (1 << m) - 1
    last = 1 << (m - 1)
    vp, vn, score = full, 0, m
    for char in b:
        eq = positions.get(char, 0)
        xv = eq | vn
        xh = (((eq & vp) + vp) ^ vp) | eq
        hp = (vn | ~(xh | vp)) & full
        hn = vp & xh
        if hp & last:
            score += 1
        elif hn & last:
            score -= 1
        hp = ((hp << 1) | 1) & full
        hn = (hn << 1) & full
        vp = (hn | ~(xv | hp)) & full
        vn = hp & xv
    return score
