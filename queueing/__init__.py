"""The hall queue: engine (tickets, policies, counters, ETA, statistics), its SQLite store, the
hall service (HTTP API + server-sent events) and its Python client. Named ``queueing`` because a
top-level ``queue`` would shadow the standard library module."""
