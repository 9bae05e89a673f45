"""The outside world: master exports, the landing zone, the metadata API, Kafka."""
