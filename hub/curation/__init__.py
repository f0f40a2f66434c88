"""What people decide about records: review decisions and the queue, flags (queries on
records), and each member's review policy.

May import hub.records, hub.store, hub.actors and schemas; never the doors or the sync
engine.
"""
