"""Record uids: ``{country}/{kind}/{id}``, the one name of a record across hubs.

Built and split here only, so the format has one definition.
"""

from __future__ import annotations


def uid(country: str, kind: str, local_id: str) -> str:
    """``VN``, ``products``, ``p1`` -> ``VN/products/p1``."""
    return f"{country}/{kind}/{local_id}"


def split_uid(value: str) -> tuple[str, str, str]:
    """``VN/products/p1`` -> ``(VN, products, p1)`` (the id may hold ``/``); ValueError
    for text that is not a uid."""
    parts = value.split("/", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"'{value}' is not a record uid (country/kind/id)")
    return parts[0], parts[1], parts[2]
