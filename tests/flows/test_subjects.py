"""Subject references ("talk:12") are written and read in one place; a damaged one reads as nothing."""
from __future__ import annotations

import pytest

from flows.subjects import read_subject, subject, subject_id


def test_a_reference_reads_back_as_its_kind_and_id():
    assert read_subject(subject("talk", 12)) == ("talk", 12)
    assert subject_id("item:4:due", "item") == 4  # a dedupe key starts with its subject


@pytest.mark.parametrize("damaged", [None, "", "talk", "talk:", "talk:x", "talk:-1", "drop:1", "talk:" + "9" * 40])
def test_a_damaged_reference_reads_as_none_never_an_exception(damaged):
    assert read_subject(damaged) is None and subject_id(damaged, "talk") is None


def test_a_reference_of_another_kind_is_not_taken_for_the_one_asked():
    assert subject_id("retro:7", "talk") is None


def test_an_unknown_kind_cannot_be_written():
    with pytest.raises(ValueError):
        subject("drop_tables", 1)
