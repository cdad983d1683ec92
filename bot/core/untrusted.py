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
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise Refused(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except Refused:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(f"body is not valid JSON ({exc.__class__.__name__})") from None
    raw = body if isinstance(body, str) else body.decode("utf-8", "replace")
    if raw.count("{") + raw.count("[") > MAX_DEPTH and _too_deep(data):
        raise Refused(f"JSON nested deeper than {MAX_DEPTH} levels")
    return _strip(data) if "\\u0000" in raw else data  # JSON can only carry a NUL escaped


def _no_constant(name: str) -> float:
    raise Refused(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999
        raise Refused(f"{text[:20]} is too large a number")
    return number


def cleaned(data: Any) -> Any:
    """Decoded JSON (or form fields) checked for depth, with NUL characters removed from every string."""
    if _too_deep(data):
        raise Refused(f"JSON nested deeper than {MAX_DEPTH} levels")
    return _strip(data)


def _too_deep(data: Any) -> bool:
    # Level by level, containers only: a Slack view submission takes ~25 µs, and nothing recurses.
    level = [data] if type(data) is dict or type(data) is list else []
    for _ in range(MAX_DEPTH):
        if not level:
            return False
        deeper: list = []
        for node in level:
            deeper += [v for v in (node.values() if type(node) is dict else node) if type(v) is dict or type(v) is list]
        level = deeper
    return bool(level)


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
