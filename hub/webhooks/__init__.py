"""Webhook subscriptions (SPEC 6): the service (create, list, change, remove, the delivery log,
sealing and signing), where deliveries may go (destinations), and the `hub subscriptions`
and `hub webhooks` commands. The deliverer itself runs in the sync engine
(hub.sync.webhooks).

May import hub.store, hub.records, hub.config and schemas; cli.py also hub.auth (client
lookup); never the API, the console or the sync engine.
"""
