"""The dataset's pandera schema compiled to SQL: every rule, profile, chart and segment of a partition.

The schema (:mod:`recomart_assets.quality.rules.schemas`) stays the one statement of each rule:
this package walks its columns and checks (builtin checks by their name and ``statistics``, our
own by the ``rule`` they declare in ``statistics``) and writes the SQL that counts each rule's
failures, in the rule order and names of
:func:`~recomart_assets.quality.rules.vocabulary.expected_checks`. The same code writes DuckDB SQL
and Spark SQL through a small :class:`~.dialect.Dialect`. Modules:

* :mod:`.dialect`: what differs between DuckDB and Spark SQL, and what an engine's runner provides;
* :mod:`.compiler`: the partition's table (columns by position, parsed values computed once by
  :func:`~.compiler.load_query`) and the :class:`~.compiler.Plan` the queries are written against;
* :mod:`.rule_compilers`: the registry of each rule kind's and each check's SQL;
* :mod:`.passes`: the passes that count failures and fetch samples (:class:`~.passes.SqlValidation`);
* :mod:`.profiles`: the passes for top values, charts and segments.

An engine only loads the partition's verified files as the table or view ``typed`` and runs the
queries; reference lookups are joins in the passes that need them (the main pass, their samples).

Names are data: a column's name never appears in the SQL. The engine's source names the columns
by position (:func:`~.compiler.column_id`: ``__c0``, ``__c1`` …), the plan maps each name to its
identifier, and every identifier goes through :meth:`~.dialect.Dialect.quote`. So a key with
quotes, a newline or nothing at all, a key equal to another but for case (DuckDB and Spark compare
identifiers without case), or one named like the engine's own columns (``rowid``, ``__row``)
binds like any other.
"""
