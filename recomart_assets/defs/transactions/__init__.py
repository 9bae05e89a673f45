"""Transactions: the daily asset, the per-file landing run and the landing-zone sensor."""
