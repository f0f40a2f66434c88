"""The OVOP exchange standard, version 1.1: schemas, codelists and crosswalks.

Stands alone (no hub, Flask or SQLAlchemy) so a partner country can validate its data
offline: ``python -m schemas validate products my-products.ndjson``.
"""

from .base import MAX_DEPTH
from .errors import Finding
from .fields import KINDS
from .provenance import decision_date
from .records import (
    Result,
    best_band,
    canonical,
    content_hash,
    enrich,
    outside_some_producer_type,
    producer_type_out_of_force,
    references,
    validate,
)
from .uids import split_uid, uid

STANDARD_VERSION = "1.1"  # 1.1: provenance, partial dates, places through time (docs/standard.md)

__all__ = [
    "KINDS",
    "MAX_DEPTH",
    "STANDARD_VERSION",
    "Finding",
    "Result",
    "validate",
    "enrich",
    "best_band",
    "canonical",
    "content_hash",
    "references",
    "decision_date",
    "producer_type_out_of_force",
    "outside_some_producer_type",
    "uid",
    "split_uid",
]
