"""Sync engine: national files and APIs and other hubs, into the hub through the write path.

- :mod:`.sources` reads source files (``config/sources/*.toml``); :mod:`.mapping`,
  :mod:`.readers` and :mod:`.transforms` turn rows into standard records;
- :mod:`.files` (csv), :mod:`.rest` (json APIs) and :mod:`.federation` (another hub's
  change feed) fetch pages with :mod:`.http` (retries, backoff, Retry-After, budget);
- :mod:`.runner` writes each page with its checkpoint in one transaction; :mod:`.locks`
  keeps one runner per source; :mod:`.history` reads runs and quarantine;
- :mod:`.schedule` is ``hub scheduler``; :mod:`.webhooks` delivers the change feed to
  subscribers (:mod:`hub.subscriptions` keeps them); :mod:`.cli` has the commands. docs/sync.md is the guide.
"""
