"""The step-1 wording checks keep recognising each kind of problem on statements they were not tuned on.

bench/data holds labelled statements: wording_tune.jsonl was tuned on; each held-out set was
written and committed before the checks were first run on it (see bench/README.md). A kind
recognised in fewer than 80% of its statements, or a hint on more than 5% of the factual ones,
fails here, so a change to a word class or a shape that loses ground shows up at once.
"""
from __future__ import annotations

import pytest

from bench.wording import KINDS, load, score
from flows.coaching.facts import check_observed

HELD_OUT = ("wording_heldout", "wording_fresh", "wording_unseen", "wording_final", "wording_labels", "wording_facts",
            "wording_last")
# wording_labels holds labels and factual statements only, wording_facts factual ones only: the
# label shapes were the last to change.
KINDS_HELD = {name: KINDS for name in HELD_OUT} | {"wording_labels": ("label",), "wording_facts": ()}


@pytest.mark.parametrize("name", ("wording_tune", *HELD_OUT))
def test_each_kind_is_recognised_in_at_least_80_percent_of_its_statements(name):
    result = score_of(name)
    low = {kind: f"{result['found'][kind]}/{result['total'][kind]}" for kind in KINDS
           if result["found"][kind] < 0.8 * result["total"][kind]}
    assert not low, (low, [text for kind, text in result["misses"] if kind in low])


@pytest.mark.parametrize("name", ("wording_tune", *HELD_OUT))
def test_at_most_5_percent_of_factual_statements_get_a_hint(name):
    result = score_of(name)
    assert len(result["alarms"]) <= 0.05 * result["factual"], result["alarms"]


@pytest.mark.parametrize("name", HELD_OUT)
def test_every_held_out_set_is_big_enough_and_apart_from_the_tuning_set(name):
    rows = load(name)
    tuned = {row["text"] for row in load("wording_tune")}
    assert not tuned & {row["text"] for row in rows}
    for kind in KINDS_HELD[name]:
        assert sum(kind in row["kinds"] for row in rows) >= 30, kind
    assert sum(not row["kinds"] for row in rows) >= 60


def score_of(name: str) -> dict:
    return score(check_observed, load(name))
