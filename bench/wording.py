"""How well the step-1 wording checks recognise each kind of problem, on labelled statements.

    .venv/bin/python bench/wording.py [--baseline REV] [--misses]

Reads bench/data/wording_tune.jsonl (what the checks were tuned on) and wording_heldout.jsonl
(written and committed before tuning, never tuned on). For each set it prints, per kind, the share
of its statements where the checks name that kind (recall) and the share of factual statements that
get any hint at all (false alarms). With --baseline it also runs flows/coaching as it was at REV
(read with `git show`, default: the commit before the rewrite) on the same statements.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.coaching.facts import check_observed  # noqa: E402

DATA = ROOT / "bench" / "data"
SETS = ("wording_tune", "wording_heldout", "wording_fresh", "wording_unseen", "wording_final", "wording_labels", "wording_facts", "wording_last")
KINDS = ("label", "absolute", "hearsay", "mind_reading", "emotion", "vague")
CODE_TO_KIND = {"no_specifics": "vague"}
BEFORE_REWRITE = "a3a71ad"
REP = "Alex"
Checker = Callable[[str, str], list]


def load(name: str) -> list[dict]:
    """The labelled statements of one set."""
    lines = (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def kinds_named(check: Checker, text: str) -> set[str]:
    """The kinds the checker names for one statement."""
    return {CODE_TO_KIND.get(h.code, h.code) for h in check(text, REP)}


def score(check: Checker, rows: list[dict]) -> dict:
    """Recall per kind, false alarms on factual statements, and the misses behind them."""
    found = {k: 0 for k in KINDS}
    total = {k: 0 for k in KINDS}
    extra = {k: 0 for k in KINDS}
    misses: list[tuple[str, str]] = []
    alarms: list[tuple[str, set[str]]] = []
    factual = 0
    non_factual = 0
    for row in rows:
        named = kinds_named(check, row["text"])
        wanted = set(row["kinds"])
        if not wanted:
            factual += 1
            if named:
                alarms.append((row["text"], named))
            continue
        non_factual += 1
        for kind in wanted:
            total[kind] += 1
            if kind in named:
                found[kind] += 1
            else:
                misses.append((kind, row["text"]))
        for kind in named - wanted:
            extra[kind] += 1
    return {"found": found, "total": total, "extra": extra, "misses": misses, "alarms": alarms,
            "factual": factual, "non_factual": non_factual}


def old_checker(rev: str) -> Checker:
    """check_observed as it was at `rev`, loaded from git into modules of its own."""
    def source(path: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], check=True,
                              capture_output=True, text=True).stdout

    saved = sys.modules.get("flows.coaching.phrases")
    phrases = types.ModuleType("flows.coaching.phrases")
    exec(compile(source("flows/coaching/phrases.py"), f"{rev}:phrases.py", "exec"), phrases.__dict__)
    sys.modules["flows.coaching.phrases"] = phrases
    try:
        facts = types.ModuleType("old_facts")
        exec(compile(source("flows/coaching/facts.py"), f"{rev}:facts.py", "exec"), facts.__dict__)
    finally:
        if saved is not None:
            sys.modules["flows.coaching.phrases"] = saved
    return facts.check_observed


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}% ({n}/{d})" if d else "    -"


def report(title: str, result: dict, show_misses: bool) -> None:
    print(f"  {title}")
    for kind in KINDS:
        print(f"    {kind:<13} recall {pct(result['found'][kind], result['total'][kind])}"
              f"   also named where not labelled: {result['extra'][kind]}/{result['non_factual']}")
    print(f"    {'factual':<13} false alarms {pct(len(result['alarms']), result['factual'])}")
    if show_misses:
        for kind, text in result["misses"]:
            print(f"      missed {kind:<13} {text}")
        for text, named in result["alarms"]:
            print(f"      false alarm {sorted(named)}  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", nargs="?", const=BEFORE_REWRITE, default=None,
                        help=f"also score the checks as they were at this git revision (default {BEFORE_REWRITE})")
    parser.add_argument("--misses", action="store_true", help="list each missed kind and false alarm")
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=SETS)
    args = parser.parse_args()
    checkers: list[tuple[str, Checker]] = [("now", check_observed)]
    if args.baseline:
        checkers.append((f"at {args.baseline}", old_checker(args.baseline)))
    for name in args.sets:
        rows = load(name)
        print(f"{name}: {len(rows)} statements")
        for label, check in checkers:
            report(f"checks {label}", score(check, rows), args.misses and label == "now")


if __name__ == "__main__":
    main()
