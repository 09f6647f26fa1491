from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiforge.versions.diffs import DiffError, apply_diff, make_diff, sha256_text

# Line-ish text with every kind of line break str.splitlines knows, plus emoji.
_pieces = st.sampled_from(
    ["a", "b", "def f():", "    return 1", "", "é", "🙂", "\n", "\r\n", "\r", "\x0c", "\u2028", " "]
)
texts = st.lists(_pieces, max_size=40).map("".join)

EDGE_CASES = [
    ("no newline", "a\nb"),
    ("a\nb", "a\nb\n"),
    ("a\r\nb\r\n", "a\r\nc\r\n"),
    ("x 🙂\n", "y 🙂\n"),
    ("", "content\n"),
    ("content\n", ""),
    ("lone\rcr", "lone\rcr\rmore"),
    ("same\n", "same\n"),
]


@pytest.mark.parametrize(("old", "new"), EDGE_CASES)
def test_edge_cases_round_trip(old: str, new: str) -> None:
    assert apply_diff(old, make_diff(old, new)) == new


@given(texts, texts)
@settings(max_examples=300, deadline=None)
def test_any_pair_round_trips(old: str, new: str) -> None:
    assert apply_diff(old, make_diff(old, new)) == new


def test_small_edit_makes_small_diff() -> None:
    old = "".join(f"line {i}\n" for i in range(500))
    new = old.replace("line 250\n", "line 250 changed\n")
    diff = make_diff(old, new)
    assert len(diff) < 100
    assert apply_diff(old, diff) == new


def test_diff_on_wrong_base_is_rejected() -> None:
    diff = make_diff("a\nb\nc\n", "a\nB\nc\n")
    with pytest.raises(DiffError):
        apply_diff("a\nb\n", diff)


@pytest.mark.parametrize(
    "broken",
    [
        "not json",
        "[]",
        json.dumps({"v": 2, "n": 1, "ops": []}),
        json.dumps({"v": 1, "n": 1, "ops": [[1, 0, []]]}),
        json.dumps({"v": 1, "n": 1, "ops": [[0, 5, []]]}),
        json.dumps({"v": 1, "n": 1, "ops": [[0, 1, [3]]]}),
        json.dumps({"v": 1, "n": 1, "ops": [[0, 1, ["x"]], [0, 1, ["y"]]]}),
    ],
)
def test_malformed_diffs_raise(broken: str) -> None:
    with pytest.raises(DiffError):
        apply_diff("one line\n", broken)


def test_sha256_is_of_utf8() -> None:
    assert sha256_text("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
