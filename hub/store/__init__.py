"""Stored state: the tables (SQLAlchemy), sessions, migrations, the audit hash chain, leases
(locks), and the sync engine's run bookkeeping (runs, checkpoints, quarantine).

May import hub.config and schemas; migrate.py alone imports every package's tables (to
compare them with the migrations).
"""
