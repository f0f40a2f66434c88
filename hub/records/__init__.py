"""The records and their change feed: the one write path (validate, version, publish, audit),
every read of records (lists, single records, the feed, exports, JSON-LD, diffs), and what
they are shown as.

May import hub.store, hub.operations.metrics, hub.actors, hub.config and schemas; never the
doors (hub.api, hub.console, hub.auth, hub.cli) or the sync engine (hub.sync).
"""
