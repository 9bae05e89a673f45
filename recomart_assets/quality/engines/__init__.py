"""Engines that run the rules on a partition: pandas (the reference), DuckDB and Spark (the schema
compiled to SQL, :mod:`.sql`), with what they share: loading, references, profiling and the outcome
of one validation."""
