"""The clickstream: Kafka events and CSV exports into ``clickstream/D/``, and the closing of a day.

``consumer`` (the listener's loop and rebalance callbacks), ``messages`` (parsing and placing a
round of messages), ``spool`` (a batch's files while it is open, and the threads that write them),
``batches`` (batch file names, what the lake holds, where to resume, log continuity, the partition
lock), ``watermarks`` (event-time progress per partition), ``seal`` (a day's closing: merge, verify,
summarise) and ``exports`` (the CSV export splitter for the landing intake engine).
"""
