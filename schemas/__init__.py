"""The OVOP exchange standard, version 1: schemas, codelists and crosswalks.

Stands alone (no hub, Flask or SQLAlchemy) so a partner country can validate its data
offline: ``python -m schemas validate products my-products.ndjson``.
"""

from .base import MAX_DEPTH
from .errors import Finding
from .fields import KINDS
from .records import Result, best_band, canonical, content_hash, enrich, references, validate
from .uids import split_uid, uid

STANDARD_VERSION = "1"

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
    "uid",
    "split_uid",
]
