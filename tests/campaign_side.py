"""What a campaign module knows of audiences: two signal names, nothing of community_segments."""

from __future__ import annotations

import blinker

collect_audiences = blinker.signal("campaigns.collect-audiences")
resolve_audience = blinker.signal("campaigns.resolve-audience")


def audiences(sender=None) -> list[dict]:
    return [audience for _receiver, found in collect_audiences.send(sender)
            for audience in found or ()]


def answers(audience_id: str, sender=None) -> list:
    """Every receiver's answer (None from those that do not own the id)."""
    return [found for _receiver, found in resolve_audience.send(sender, audience_id=audience_id)]


def recipients(audience_id: str, sender=None):
    owned = [found for found in answers(audience_id, sender) if found is not None]
    if len(owned) != 1:
        raise LookupError(f"{len(owned)} receivers own audience {audience_id!r}")
    return owned[0]
