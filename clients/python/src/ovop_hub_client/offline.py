"""Offline validation against the standard's JSON Schema (the ``schemas`` extra).

The hub publishes each kind as JSON Schema 2020-12 at
``/api/v1/standard/{kind}.schema.json``, generated from the standard itself. It
checks the shape of records (fields, types, codelists, rating scales); what JSON Schema
cannot say (GTIN check digits, area codes...) the hub still checks on write, and
``POST /api/v1/{kind}/validate`` checks without writing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import HubClient


def offline_validator(client: "HubClient", kind: str) -> Any:
    """A ``jsonschema`` validator of one record of ``kind``, fetched from the hub once."""
    try:
        from jsonschema import Draft202012Validator, FormatChecker
    except ImportError:
        raise ImportError("offline validation needs jsonschema: pip install 'ovop-hub-client[schemas]'") from None
    resp = client.get(f"/api/v1/standard/{kind}.schema.json")
    resp.raise_for_status()
    return Draft202012Validator(resp.json(), format_checker=FormatChecker())
