"""Clickstream: the sealed day asset, its Kafka log continuity check, the sensor that seals closed days, and the CSV exports' sensor and run (Dagster's loader finds them in this folder's modules)."""
