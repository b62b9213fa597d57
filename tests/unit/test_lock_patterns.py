"""Glob overlap for locks: some path matches both patterns, or none does."""

from __future__ import annotations

import fnmatch
import itertools

import pytest

from agenthub.errors import InvalidField
from agenthub.hub.locks import conflicts, normalize, overlaps
from agenthub.models import LockMode

CASES = [
    ("src/api/*.py", "src/api/x.py", True),
    ("src/api/*.py", "src/api/x.txt", False),
    ("src/**", "src/a/b/c.py", True),
    ("src/**", "src", True),
    ("src/**", "lib/a", False),
    ("src/*/x.py", "src/a/*", True),
    ("src/*.py", "src/a/b.py", False),
    ("**/*.py", "src/a/b.py", True),
    ("**", "anything/at/all", True),
    ("a/**/b", "a/b", True),
    ("a/*/b", "a/b", False),
    ("*.py", "*.txt", False),
    ("*.py", "test_*", True),
    ("a?c", "abc", True),
    ("a?c", "ac", False),
    ("*a*", "*b*", True),
    ("x*", "y*", False),
    ("src/ap?/*", "src/api/x", True),
    ("docs/**/*.md", "src/**/*.md", False),
    ("a/**/c/*.py", "a/b/**/x.py", True),
]


@pytest.mark.parametrize(("a", "b", "expected"), CASES)
def test_overlap_is_symmetric_and_exact(a: str, b: str, expected: bool) -> None:
    assert overlaps(a, b) is expected
    assert overlaps(b, a) is expected


def _matches(pattern: str, path: str) -> bool:
    """A reference matcher: segment by segment, `**` for any number of segments."""
    p, q = pattern.split("/"), path.split("/")

    def go(i: int, j: int) -> bool:
        if i == len(p):
            return j == len(q)
        if p[i] == "**":
            return go(i + 1, j) or (j < len(q) and go(i, j + 1))
        return j < len(q) and fnmatch.fnmatchcase(q[j], p[i].replace("[", "[[]")) and go(i + 1, j + 1)

    return go(0, 0)


def test_overlap_agrees_with_brute_force_over_small_paths() -> None:
    patterns = ["a", "b", "*", "a*", "*b", "?", "**", "a/*", "*/b", "a/**", "**/b", "a/b", "?/?", "*/*", "**/a/**"]
    alphabet = ["a", "b", "ab", "ba"]
    paths = ["/".join(parts) for n in (1, 2, 3) for parts in itertools.product(alphabet, repeat=n)]
    for a, b in itertools.product(patterns, repeat=2):
        witness = any(_matches(a, path) and _matches(b, path) for path in paths)
        if witness:
            assert overlaps(a, b), (a, b)
        else:  # nothing among short paths: the patterns must not meet at all for this family
            assert not overlaps(a, b), (a, b)


def test_conflict_matrix_of_modes() -> None:
    assert conflicts(LockMode.exclusive, LockMode.exclusive)
    assert conflicts(LockMode.exclusive, LockMode.shared)
    assert conflicts(LockMode.shared, LockMode.exclusive)
    assert not conflicts(LockMode.shared, LockMode.shared)


def test_normalize() -> None:
    assert normalize("./src//api/") == "src/api"
    with pytest.raises(InvalidField):
        normalize("/./")
