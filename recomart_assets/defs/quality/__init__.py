"""Quality: the partitioned asset checks, what changed (anomalies, drift), freshness, and the daily report.

Whether the change and freshness checks block, and the freshness deadlines, shape the check
definitions themselves: those are built by ``@definitions`` functions (``anomaly_checks.py``,
``freshness.py``) when the code location loads, from the settings read then, never at import.
"""
