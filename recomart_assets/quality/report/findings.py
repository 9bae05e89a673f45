"""The day's findings as text: what warns or was acknowledged (anomalies, schema and distribution
drift, sources missing), for the UI summary's markdown, the demo's printed warnings and the
report's "What changed" page (:mod:`.pdf.what_changed` draws them).

Kept apart from the drawing: every process that loads the definitions (code servers, the runs of
every asset, the CLI) imports the report's module for its markdown, and only the runs that draw a
report need matplotlib (over a second of imports on a 2-core machine).
"""

from __future__ import annotations

from recomart_assets.quality.changes.acknowledgements import one_line
from recomart_assets.quality.contract import Results

NOTHING = "Nothing unusual: no anomaly, no schema or distribution drift, and every source on time."


def _number(value: float) -> str:
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _status(entry: dict) -> str:
    """Who acknowledged it and why, escaped to one line (an older acknowledgement may hold a newline)."""
    ack = entry.get("acknowledged")
    if ack:
        return one_line(f"acknowledged by {ack['by']} until {ack['until']}: {ack['why']}")
    expired = entry.get("acknowledgement_expired")
    return one_line(f"warn (acknowledgement of {expired['by']} ended {expired['until']})") if expired else "warn"


def _compared(anomaly: dict) -> str:
    days = len(anomaly["days_compared"])
    return f"{days} same weekday" if anomaly["basis"] == "same weekday" else f"{days} days"


def _schema_text(change: dict) -> str:
    parts = []
    if change["added"]:
        parts.append("added " + ", ".join(f"{k} ({v})" for k, v in change["added"].items()))
    if change["removed"]:
        parts.append("removed " + ", ".join(change["removed"]))
    if change["retyped"]:
        parts.append("retyped " + ", ".join(f"{k} {v['from']}->{v['to']}" for k, v in change["retyped"].items()))
    return "; ".join(parts)


def findings(results: Results) -> list[dict[str, str]]:
    """Every finding of the day that warns or was acknowledged, as rows: kind, dataset, what, today,
    expected, compared, status (the table of the page and of the UI summary)."""
    rows = []
    for a in results.get("anomalies", []):
        low, high = a["expected_range"]
        rows.append({"kind": "anomaly", "dataset": a["dataset"], "metric": a["metric"], "today": _number(a["value"]),
                     "expected": f"{_number(low)} .. {_number(high)}",
                     "compared": _compared(a), "status": _status(a)})
    drift = results.get("drift", {})
    for change in drift.get("schema", []):
        rows.append({"kind": "schema drift", "dataset": change["dataset"], "metric": "schema",
                     "today": _schema_text(change), "expected": "same fields",
                     "compared": f"previous partition {change['compared_with']}", "status": _status(change)})
    for change in drift.get("distributions", []):
        if change["level"] != "stable":
            rows.append({"kind": "distribution drift", "dataset": change["dataset"], "metric": change["metric"],
                         "today": f"PSI {change['psi']:.3f} ({change['level']})", "expected": "PSI < 0.1",
                         "compared": f"{len(change['days_compared'])} days", "status": _status(change)})
    for source in results.get("freshness", []):
        if "acknowledged" in source or source["status"] == "missing":
            rows.append({"kind": "freshness", "dataset": source["dataset"], "metric": "freshness",
                         "today": source["status"], "expected": f"by {source['deadline']}", "compared": "-",
                         "status": _status(source)})
    return rows


def summary(results: Results) -> str:
    """One line: how many findings warn and were acknowledged, and where anomalies were judged."""
    changes = results.get("changes", {})
    history = changes.get("history", {})
    waiting = [name for name, h in history.items() if not h.get("judged")]
    judged = ("anomalies judged on every dataset" if not waiting else
              f"anomalies not judged yet on {', '.join(waiting)} (too little history)")
    return f"{changes.get('warnings', 0)} findings warn, {changes.get('acknowledged', 0)} acknowledged; {judged}"


def finding_text(row: dict[str, str]) -> str:
    """A finding row (:func:`findings`) as one line of text."""
    status = "" if row["status"] == "warn" else f" - {row['status']}"
    return (f"{row['kind'].upper()}  {row['dataset']}  {row['metric']}: {row['today']} (expected {row['expected']}; "
            f"compared with {row['compared']}){status}")


def warning_lines(results: Results) -> list[str]:
    """The findings that warn, one line each (what the demo and the incident bench print)."""
    return [finding_text(row) for row in findings(results) if row["status"].startswith("warn")]


def changes_markdown(results: Results) -> str:
    """The "What changed" part of the UI summary: the findings as a markdown table."""
    rows = findings(results)
    lines = [f"**What changed**: {summary(results)}", ""]
    if not rows:
        return "\n".join([*lines, NOTHING])
    lines += ["| finding | dataset | metric | today | expected | compared | status |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        cells = [r[k].replace("|", "/") for k in ("kind", "dataset", "metric", "today", "expected", "compared",
                                                  "status")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
