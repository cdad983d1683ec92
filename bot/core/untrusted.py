"""Reading what arrives from outside: JSON of bounded depth, text without NUL, numbers that are numbers.

Every HTTP door (Slack, Teams, the CRM webhooks) reads its body through `loads`, so a hostile or broken
sender gets a 400 with a reason rather than a 500, and no NUL character (which PostgreSQL refuses in a
text column) reaches the storage from any of them.
"""
from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32  # Slack's view submissions, the deepest payload we take, nest about a dozen levels
MAX_HEADER_DIGITS = 15  # Unix milliseconds have 13 digits; anything longer is not a timestamp


class Refused(ValueError):
    """Input refused, with a reason its sender can act on."""


def loads(body: bytes | str) -> Any:
    """JSON from an untrusted body: nested at most MAX_DEPTH deep, NUL characters removed from strings."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise Refused(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(f"body is not valid JSON ({exc.__class__.__name__})") from None
    raw = body if isinstance(body, str) else body.decode("utf-8", "replace")
    if raw.count("{") + raw.count("[") <= MAX_DEPTH and "\\u0000" not in raw:
        return data  # too few brackets to nest too deep, and no NUL written: nothing to check
    return cleaned(data)


def cleaned(data: Any) -> Any:
    """Decoded JSON checked for depth, with NUL characters removed from every string (keys too)."""
    if isinstance(data, str):
        return without_nul(data)
    if not isinstance(data, (dict, list)):
        return data
    has_nul = False
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:  # iterative, so a deep structure cannot exhaust the Python stack here either
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Refused(f"JSON nested deeper than {MAX_DEPTH} levels")
        for key, value in (node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(value, (dict, list)):
                stack.append((value, depth + 1))
            elif isinstance(value, str) and "\x00" in value:
                has_nul = True
            if isinstance(key, str) and "\x00" in key:
                has_nul = True
    return _strip(data) if has_nul else data


def _strip(node: Any) -> Any:
    if isinstance(node, str):
        return without_nul(node)
    if isinstance(node, dict):
        return {without_nul(k): _strip(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def without_nul(text: str) -> str:
    """`text` without NUL characters: they carry nothing a person meant, and PostgreSQL refuses them."""
    return text.replace("\x00", "") if "\x00" in text else text


def header_int(value: str | None) -> int | None:
    """A numeric header (a timestamp) as an int, or None when it is missing, not digits or absurdly long."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > MAX_HEADER_DIGITS:
        return None
    return int(text)


def amount(value: Any) -> float | None:
    """A money amount from untrusted data: a finite, non-negative number; Refused otherwise (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Refused("amount must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise Refused(f"amount {str(value)[:40]!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise Refused("amount must be a finite number of zero or more")
    return number
