"""Master data: the daily catalog and customers snapshots."""
