"""REST sources: a reusable pull (``pull``, ``payloads``) and one module per API (``metadata_api``).

The pull knows deadlines, retries, ``Retry-After`` and JSON; an API module supplies its path, its
page model, how it pages and what it checks across pages.
"""
