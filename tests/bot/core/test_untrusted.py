"""The one reader of untrusted bodies: its depth limit is exact, NUL goes, and numbers are checked."""
from __future__ import annotations

import pytest

from bot.core import untrusted
from bot.core.untrusted import MAX_DEPTH, Refused


def nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "[]" + "}" * (depth - 1)


def test_json_nested_exactly_to_the_limit_is_read_and_one_deeper_is_refused():
    assert untrusted.loads(nested(MAX_DEPTH)) is not None
    with pytest.raises(Refused, match=f"nested deeper than {MAX_DEPTH}"):
        untrusted.loads(nested(MAX_DEPTH + 1))
    with pytest.raises(Refused, match="nested deeper"):
        untrusted.loads("[" * 200_000 + "]" * 200_000)  # deeper than the parser itself can go


def test_nul_is_removed_from_strings_and_keys_at_any_depth():
    data = untrusted.loads('{"na\\u0000me": ["Ac\\u0000me", {"x": "\\u0000"}], "n": 1}')
    assert data == {"name": ["Acme", {"x": ""}], "n": 1}
    assert untrusted.cleaned({"text": "a\x00b"}) == {"text": "ab"}


@pytest.mark.parametrize("value", ["99999999999999999999", "9" * 5000, "1e3", "-1", "", None, "１２３"])
def test_a_numeric_header_that_is_not_a_plain_timestamp_reads_as_none(value):
    assert untrusted.header_int(value) is None


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "-inf", -0.01, "NaN", 10 ** 400, True, "12 apples"])
def test_an_amount_that_is_not_a_finite_sum_of_zero_or_more_is_refused(value):
    with pytest.raises(Refused):
        untrusted.amount(value)


def test_real_amounts_pass():
    assert untrusted.amount("1200.50") == 1200.5 and untrusted.amount(0) == 0.0 and untrusted.amount(None) is None
