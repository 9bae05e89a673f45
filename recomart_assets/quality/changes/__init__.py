"""What changed on a day against earlier ones, from the metric states: history, anomalies, drift,
freshness, and the acknowledgements that silence findings."""
