"""Simulated sources so everything runs on one machine: data generators, the metadata API server,
the embedded Kafka-compatible broker."""
