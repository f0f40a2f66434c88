"""Alembic environment: runs on the connection handed in by :mod:`hub.migrate`."""
from alembic import context

from hub.migrate import compare_type
from hub.models import Base
import hub.auth.models  # noqa: E402,F401  (the access model's tables, for autogenerate)
import hub.flags, hub.console.models  # noqa: E402,F401  (review: flags, console state)
import hub.locks  # noqa: E402,F401  (locks)
import hub.subscriptions  # noqa: E402,F401  (webhook subscriptions and deliveries)
import hub.syncruns  # noqa: E402,F401  (sync runs, checkpoints, quarantine)

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=True, compare_type=compare_type)
with context.begin_transaction():
    context.run_migrations()
