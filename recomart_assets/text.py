"""Bounded quotes of input: how much of a record, a name or an error any message may repeat.

Reasons in quarantine, manifests, log lines and CLI messages quote what they are about, and what
they are about is data: a one-line 50 MB file, a 50 MB column name, an exception that echoes a
whole page. Every such quote goes through :func:`excerpt`, so bookkeeping stays small whatever the
input's size (``docs/protocol.md``, rule R7). No imports: every layer may use it.
"""

REASON_CHARS = 300  # the most of its input a reason, a log line or a message quotes


def excerpt(text: str, limit: int = REASON_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"
