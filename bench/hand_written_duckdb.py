"""The baseline the daily report is measured against: a clickstream day's checks, and what the report
shows beyond them, written by hand in DuckDB SQL as a user would write them.

The checks (:func:`checks`): the day loaded once as a table with ``read_json``, one aggregate
query, a DISTINCT for repeated rows, ``NOT IN`` look-ups of the day's catalog and customers. The
report's content (:func:`report_content`): those checks plus nulls, distinct counts and ranges per
column, the top values of every text column, events per hour, volume and nulls per device and event
type, and failing samples (no PDF). No verification against the manifests, no states.

It imports DuckDB and nothing of the project, so run as a script (``python bench/hand_written_duckdb.py
RAW_ZONE DAY [--checks-only]``) the whole process is what a user's own script would cost; it prints the
failure counts as one JSON line. ``bench_validation.py`` and ``bench_report.py`` use it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

COLUMNS = ("event_id", "user_id", "session_id", "event_type", "product_id", "search_term", "device", "timestamp")
TEXT_COLUMNS = ("user_id", "session_id", "event_type", "product_id", "search_term", "device")  # of its 8 columns

CHECKS_SQL = """
WITH typed AS (SELECT *, TRY_CAST("timestamp" AS TIMESTAMPTZ) AS ts FROM events)
SELECT count(*),
 count(*) FILTER (WHERE "timestamp" IS NOT NULL AND ts IS NULL),
 count(*) FILTER (WHERE event_id IS NULL),
 count(event_id) - count(DISTINCT event_id),
 count(*) FILTER (WHERE user_id IS NULL),
 count(*) FILTER (WHERE NOT regexp_full_match(user_id, 'C\\d{{6}}')),
 count(*) FILTER (WHERE user_id NOT IN (SELECT customer_id FROM customers)),
 count(*) FILTER (WHERE event_type IS NULL),
 count(*) FILTER (WHERE event_type NOT IN ('view', 'click', 'add_to_cart', 'search')),
 count(*) FILTER (WHERE NOT regexp_full_match(product_id, 'P\\d{{6}}')),
 count(*) FILTER (WHERE product_id NOT IN (SELECT product_id FROM catalog)),
 count(*) FILTER (WHERE device IS NULL),
 count(*) FILTER (WHERE device NOT IN ('web', 'ios', 'android')),
 count(*) FILTER (WHERE "timestamp" IS NULL),
 count(*) FILTER (WHERE ts < TIMESTAMPTZ '{day} 00:00:00+00' OR ts >= TIMESTAMPTZ '{day} 00:00:00+00' + INTERVAL 1 DAY),
 count(*) FILTER (WHERE product_id IS NULL AND event_type IS DISTINCT FROM 'search')
FROM typed
"""

CONTENT_SQL = """
SELECT {nulls}, approx_count_distinct("timestamp"), min(ts), max(ts) FROM typed;
{tops};
SELECT CAST(((epoch_us(ts) // 3600000000) % 24 + 24) % 24 AS INTEGER) AS h, count(*) FROM typed WHERE ts IS NOT NULL GROUP BY h;
SELECT device, event_type, grouping(device), grouping(event_type), count(*), {nulls} FROM typed
 GROUP BY GROUPING SETS ((device), (event_type));
SELECT event_id FROM typed WHERE user_id NOT IN (SELECT customer_id FROM customers) LIMIT 5;
SELECT product_id FROM typed WHERE product_id NOT IN (SELECT product_id FROM catalog) LIMIT 5
"""


def _checks(root: str, day: str) -> tuple[duckdb.DuckDBPyConnection, dict]:
    """The day loaded once as a table and its checks counted: the open connection and the counts."""
    folder = Path(root)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = sorted(str(p) for p in (folder / "clickstream" / day).glob("*.jsonl"))
    types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS) + "}"
    con.execute(f"CREATE TABLE catalog AS SELECT * FROM read_csv('{folder}/catalog/{day}/*.csv', all_varchar=true)")
    con.execute(f"CREATE TABLE customers AS SELECT * FROM read_csv('{folder}/customers/{day}/*.csv', all_varchar=true)")
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_json({files}, format='newline_delimited', columns={types})")
    counts = con.execute(CHECKS_SQL.format(day=day)).fetchone()
    duplicates = con.execute("SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT event_id, user_id, event_type, "
                             "product_id, device, \"timestamp\" FROM events)) FROM events").fetchone()[0]
    return con, {"rows": counts[0], "event_id: unique": counts[3], "user_id: in customers": counts[6],
                  "product_id: in catalog": counts[10], "device: one of": counts[12], "duplicate rows": duplicates,
                  "product_id present unless search": counts[15]}


def checks(root: str, day: str) -> dict:
    """The main clickstream checks of ``day`` in the raw zone at ``root`` (no verification, no profile)."""
    con, found = _checks(root, day)
    con.close()
    return found


def report_content(root: str, day: str) -> dict:
    """:func:`checks` plus what the report shows beyond them, as directly as one would write it."""
    con, found = _checks(root, day)
    con.execute('CREATE TEMP VIEW typed AS SELECT *, TRY_CAST("timestamp" AS TIMESTAMPTZ) AS ts FROM events')
    nulls = ", ".join(f'count(*) - count("{c}")' for c in (*TEXT_COLUMNS, "event_id", "timestamp"))
    tops = " UNION ALL ".join(
        f"SELECT * FROM (SELECT '{c}' AS k, CAST({c} AS VARCHAR) AS v, count(*) AS n FROM typed WHERE {c} IS NOT NULL "
        f"GROUP BY {c} ORDER BY n DESC LIMIT 15) t{i}" for i, c in enumerate(TEXT_COLUMNS))
    for query in CONTENT_SQL.format(nulls=nulls, tops=tops).split(";"):
        con.execute(query).fetchall()
    con.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", help="the raw zone")
    parser.add_argument("day", help="the clickstream day, YYYY-MM-DD")
    parser.add_argument("--checks-only", action="store_true", help="the checks without the report's content")
    args = parser.parse_args()
    print(json.dumps((checks if args.checks_only else report_content)(args.root, args.day)))


if __name__ == "__main__":
    main()
