"""Alembic environment: runs on the connection handed in by :mod:`hub.store.migrate`."""

from alembic import context

import hub.auth.models  # noqa: E402,F401  (the access model's tables, for autogenerate)
import hub.console.models
import hub.curation.flags  # noqa: E402,F401  (review: flags, console state)
import hub.store.locks  # noqa: E402,F401  (locks)
import hub.store.syncruns  # noqa: E402,F401  (sync runs, checkpoints, quarantine)
import hub.webhooks.subscriptions  # noqa: E402,F401  (webhook subscriptions and deliveries)
from hub.store.migrate import compare_type
from hub.store.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=compare_type)
with context.begin_transaction():
    context.run_migrations()
