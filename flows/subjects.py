"""What a nudge or a flow session is about, written one way: "talk:12", "item:4", "retro:7".

A subject reference is stored text and may come back from old rows or other versions, so reading
one never raises: anything that is not "<known kind>:<id>" reads as None.
"""
from __future__ import annotations

from typing import NamedTuple

KINDS = ("talk", "item", "retro", "followup", "person", "invite", "flag")


class Subject(NamedTuple):
    kind: str
    id: int


def subject(kind: str, ident: int) -> str:
    """The stored reference of one thing ("talk", 12 -> "talk:12")."""
    if kind not in KINDS:
        raise ValueError(f"unknown subject kind {kind!r}")
    return f"{kind}:{int(ident)}"


def read_subject(reference: str | None, kind: str | None = None) -> Subject | None:
    """The kind and id of a stored reference, or None when it is malformed (or not of `kind`)."""
    prefix, _, ident = (reference or "").partition(":")
    ident = ident.partition(":")[0]
    number = ident.isascii() and ident.isdigit() and len(ident) <= 18  # not '²', which int() refuses
    if prefix not in KINDS or (kind is not None and prefix != kind) or not number:
        return None
    return Subject(prefix, int(ident))


def subject_id(reference: str | None, kind: str) -> int | None:
    """The id in a reference of `kind` ("talk:12" -> 12), else None."""
    found = read_subject(reference, kind)
    return found.id if found else None
