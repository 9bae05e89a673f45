"""Waiting for a condition: poll it with a deadline instead of sleeping a fixed time.

The one polling loop of the code base: services wait for their port, a created topic, a run or a
backfill to finish, a process group to exit; tests wait for files and processes the same way. A
fixed sleep is either too short on a loaded machine (a flaky wait) or too long everywhere (a slow
command, a slow suite); polling returns as soon as the condition holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(predicate: Callable[[], T], timeout: float, interval: float = 0.05) -> T | None:
    """Call ``predicate`` every ``interval`` seconds until it returns something truthy, and return
    that; ``None`` once ``timeout`` seconds have passed (for waits whose deadline is no failure,
    such as a grace period before a kill).

    An exception raised by ``predicate`` propagates at once, so a predicate can stop the wait
    early, e.g. when the process being watched has exited.
    """
    deadline = time.monotonic() + timeout
    while True:
        if result := predicate():
            return result
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.05, message: str = "",
               fail: Callable[[], BaseException] | None = None) -> T:
    """:func:`poll_until`, raising at the deadline: ``fail()`` (a service's own error, e.g.
    :class:`~recomart_assets.errors.ServiceUnavailable` saying what did not happen), or by default
    an ``AssertionError`` naming ``message`` or the predicate, which fails a test.
    """
    result = poll_until(predicate, timeout, interval)
    if result:
        return result
    if fail is not None:
        raise fail()
    raise AssertionError(f"not within {timeout:g} s: {message or getattr(predicate, '__name__', predicate)}")
