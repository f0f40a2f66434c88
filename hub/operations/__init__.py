"""Running the hub: serving (gunicorn), logs and request context, Prometheus metrics, backup
and restore.

May import hub.store and hub.config; serve.py builds the app (hub.create_app); never the
sync engine.
"""
