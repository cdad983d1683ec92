"""Digits that are not ASCII ('²', '٣', '３') are what people paste from other apps; `str.isdigit()`
says yes to some that `int()` refuses, which must never become a crash."""
from __future__ import annotations

import pytest

from flows.answers import normalise
from flows.engine import Step
from flows.outputs import InputKind, Option
from flows.subjects import read_subject

COLOUR = Step("colour", InputKind.CHOICE, "Colour", "Pick one", options=(Option("red", "Red"), Option("blue", "Blue")))


@pytest.mark.parametrize("typed", ["²", "¹", "٢", "３"])
def test_a_choice_answered_with_a_digit_from_another_script_is_told_what_to_pick(typed):
    value, problems = normalise(COLOUR, typed, None)
    assert value is None and problems and "Red" in problems[0].message


def test_a_reference_with_a_superscript_id_is_malformed_not_a_crash():
    assert read_subject("talk:²") is None and read_subject("talk:12") is not None
