"""A platform's Retry-After is a header from the network: no value of it stalls or breaks the dispatcher."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.scheduler.dispatch import MAX_RETRY_AFTER, SendError
from tests.support.evidence import attempted


@pytest.mark.parametrize("header,wait", [(float("inf"), MAX_RETRY_AFTER), (1e300, MAX_RETRY_AFTER),
                                         (float("nan"), None), (-5.0, None), (30.0, 30.0), (None, None)])
def test_an_absurd_retry_after_is_bounded_and_never_overflows(header, wait):
    error = SendError("slack: rate limited", retry_after=header)
    sane = error.retry_after == wait and timedelta(seconds=error.retry_after or 0) <= timedelta(hours=1)
    attempted("absurd Retry-After from a platform", sane)
    assert sane, error.retry_after
