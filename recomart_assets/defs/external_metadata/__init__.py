"""External metadata: the daily API pull asset (pulled on its cron, see ``defs/shared/automation.py``)."""
