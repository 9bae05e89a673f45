"""What a valid record is, engine-neutral: the schemas, text-to-type parsing, and the rule
vocabulary (which rules a schema applies, their names, how a result is judged)."""
