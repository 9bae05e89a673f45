"""Dagster assets, one module per dataset plus the quality report."""
