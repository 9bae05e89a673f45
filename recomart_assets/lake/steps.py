"""The named steps of the writer protocol (``docs/protocol.md``), and killing a writer at one of them.

Every writer of the raw zone calls :func:`reached` right after one step of its protocol is done
(a spool file fsynced, a file renamed into place, a manifest written, offsets committed …), with
the step's name as the protocol document spells it: ``"<writer>.<step>"``. In production that is
one dictionary look-up. When the crash-injection harness starts a writer with
``RECOMART_KILL_AT=<step>`` (or ``<step>:N``), the process sends itself SIGKILL the first (N-th)
time it reaches that step: no handler, no ``finally``, no flush runs, exactly like a kill -9 from
outside, but at a chosen point of the protocol instead of a random instant. The harness then
reruns the writer and checks the invariants (``recomart_assets_tests/fixtures/crash.py``).

Every step a writer names is listed in :data:`STEPS` with the writer it belongs to, so the
document, the code and the tests share one vocabulary; an unknown name is a programming error.
"""

from __future__ import annotations

import os
import signal
import threading

from recomart_assets.config import kill_at

# step -> what is durable once it is reached (the protocol document explains each).
STEPS: dict[str, str] = {}


def declare(*names: str) -> None:
    """Register a writer's steps (each module that calls :func:`reached` declares its names at import)."""
    for name in names:
        STEPS[name] = name.partition(".")[0]


_target = kill_at()
_seen = 0
_lock = threading.Lock()


def reached(step: str) -> None:
    """Mark that ``step`` is done; SIGKILL this process if the harness asked to die here."""
    if step not in STEPS:
        raise KeyError(f"undeclared protocol step {step!r}: declare it with recomart_assets.lake.steps.declare")
    if _target is None or _target[0] != step:
        return
    global _seen
    with _lock:
        _seen += 1
        if _seen >= _target[1]:
            os.kill(os.getpid(), signal.SIGKILL)
