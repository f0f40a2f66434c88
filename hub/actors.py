"""Who is acting: a partner system, a staff user, or the hub itself (CLI, demo, sync)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """The authenticated party a door hands to the services.

    ``country`` is the only country whose records the actor may write; ``None`` means
    any (the operator's own CLI, the secretariat).
    """

    id: str
    country: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    role: str | None = None

    def may_write(self, country: str) -> bool:
        return self.country is None or self.country == country
