"""Member countries, their review policy and the four-eyes rule."""

from __future__ import annotations

import pycountry
import sqlalchemy as sa
import sqlalchemy.orm as so

from ..store import audit
from ..store.models import Member

POLICIES = ("required", "auto")


def ensure(session: so.Session, countries: tuple[str, ...], default_policy: str) -> int:
    """Add configured members that are missing (existing policies are kept); returns how many."""
    present = set(session.scalars(sa.select(Member.country)))
    added = 0
    for code in countries:
        if code in present:
            continue
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            raise ValueError(f"'{code}' in the members setting is not an ISO 3166-1 country code")
        session.add(
            Member(country=code, name=getattr(country, "common_name", country.name), review_policy=default_policy)
        )
        added += 1
    return added


def listing(session: so.Session) -> list[Member]:
    return list(session.scalars(sa.select(Member).order_by(Member.country)))


def set_policy(session: so.Session, actor: str, country: str, policy: str) -> None:
    """Change a member's review policy (audited). Pending revisions stay pending."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of: {', '.join(POLICIES)}")
    member = _member(session, country)
    old = member.review_policy
    member.review_policy = policy
    audit.record(session, actor, "member.policy", country, {"from": old, "to": policy})


def set_four_eyes(session: so.Session, actor: str, country: str, on: bool) -> None:
    """Require (on) or waive (off) a reviewer other than the submitter (audited)."""
    member = _member(session, country)
    old = member.four_eyes
    member.four_eyes = on
    audit.record(session, actor, "member.four_eyes", country, {"from": old, "to": on})


def _member(session: so.Session, country: str) -> Member:
    member = session.get(Member, country)
    if member is None:
        raise LookupError(f"{country} is not a member")
    return member
