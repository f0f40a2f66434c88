"""Pieces of the web layer shared by the API and the console."""

import schemas

#: the URL rule of a kind in a route (``/<kind>/...``): one of the standard's kinds, else 404
KIND_RULE = "<any(" + ",".join(schemas.KINDS) + "):kind>"
