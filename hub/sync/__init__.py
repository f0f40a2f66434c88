"""Sync engine: national files and APIs and other hubs, into the hub through the write path.

How a run flows: :mod:`.sources` loads a source file, its type's module (:mod:`.files`
csv, :mod:`.rest` json, :mod:`.federation` another hub; the registry is
``sources.TYPES``) parses its keys and opens a :class:`.base.Fetcher`. The
:mod:`.runner` takes the source's lock (:mod:`hub.store.locks`) and records the run
(:mod:`hub.store.syncruns`); the fetcher yields pages from the last checkpoint, rows mapped by
:mod:`.mapping` (:mod:`.readers`, :mod:`.transforms`); :mod:`.screen` sets aside stale
records; each page is one write transaction (``WritePath.transaction``) holding the
records, their quarantine, the checkpoint and the counts. A snapshot pass ends with
:mod:`.deletes`; a dry run (:mod:`.dryrun`) goes through ``WritePath.preview`` instead.

May import core (``hub.*``) and ``schemas``; never the doors (``hub.api``,
``hub.console``). :mod:`.schedule` is ``hub scheduler``, :mod:`.jobs` the same work on
Celery, :mod:`.webhooks` the deliverer (:mod:`hub.webhooks.subscriptions` keeps the
subscriptions), :mod:`.cli` the commands; docs/sync.md the guide.
"""
