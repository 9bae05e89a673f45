"""Dagster adapters, one folder per area (assets, sensors, schedules, jobs); see ``definitions.py``."""
