"""Counting records the way the manifest does, per file format."""

from __future__ import annotations

import csv
import io

# Formats whose files hold one document (a PDF, a JSON report): record_count is 1.
DOCUMENT_FORMATS = {"pdf", "json", "bytes"}


def format_of(name: str) -> str:
    """The manifest ``format`` for a file name (by extension)."""
    for suffix, fmt in ((".csv", "csv"), (".jsonl", "jsonl"), (".pdf", "pdf"), (".json", "json")):
        if name.endswith(suffix):
            return fmt
    return "bytes"


def count_records(data: bytes, fmt: str) -> int:
    """Records in ``data``: CSV rows after the header (quoted newlines respected), JSONL lines."""
    if fmt == "csv":
        rows = sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline="")))
        return max(rows - 1, 0)
    if fmt == "jsonl":
        return sum(1 for line in data.splitlines() if line.strip())
    return 1
