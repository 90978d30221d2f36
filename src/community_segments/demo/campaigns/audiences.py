"""Audiences, asked for over named blinker signals: whoever answers (e.g. segments) is unknown here."""

from __future__ import annotations

import blinker
from flask import current_app, url_for

collect_audiences = blinker.signal("campaigns.collect-audiences")
resolve_audience = blinker.signal("campaigns.resolve-audience")
audience_usage = blinker.signal("campaigns.audience-usage")
compose_url = blinker.signal("campaigns.compose-url")
audience_groups = blinker.signal("campaigns.audience-groups")
OTHER = "Other audiences"


class UnknownAudience(LookupError):
    """No module offers the audience, or its owner says it is gone."""


class AudiencesUnavailable(RuntimeError):
    """An owner could not list its audiences just now (e.g. its counts timed out)."""


def collect(sender=None) -> list[dict]:
    """Every audience on offer: dicts with ``id``, ``label``, ``description``, ``count``."""
    try:
        answers = collect_audiences.send(sender)
    except Exception as exc:  # the owner's own error types are unknown here
        current_app.logger.warning("campaigns: the audiences could not be listed: %s", exc)
        raise AudiencesUnavailable(str(exc)) from exc
    found = [audience for _receiver, answer in answers for audience in answer or ()]
    return sorted(found, key=lambda audience: audience["label"].lower())


def grouped(offered: list[dict]) -> list[tuple[str, list[dict]]]:
    """Audiences by the group their owner names (a segment group), named groups A to Z,
    then the others."""
    names = {key: name for _receiver, answer in audience_groups.send(None)
             for key, name in (answer or {}).items()}
    groups: dict[str, list[dict]] = {}
    for audience in offered:
        groups.setdefault(names.get(audience["id"]) or OTHER, []).append(audience)
    return sorted(groups.items(), key=lambda item: (item[0] == OTHER, item[0].lower()))


def answer_compose_url(sender, audience_id: str = "", **kwargs) -> str | None:
    """Our compose form with ``audience_id`` preselected (answers ``campaigns.compose-url``)."""
    if "campaigns" not in current_app.blueprints or not isinstance(audience_id, str):
        return None
    return url_for("campaigns.new", audience=audience_id)


def find(audience_id: str, sender=None) -> dict | None:
    return next((a for a in collect(sender) if a["id"] == audience_id), None)


def recipients(audience_id: str, sender=None):
    """The recipients of an audience, as the owner streams them (evaluated when iterated)."""
    try:
        answers = resolve_audience.send(sender, audience_id=audience_id)
    except Exception as exc:  # the owner's own error types are unknown here
        raise UnknownAudience(str(exc)) from exc
    for _receiver, answer in answers:
        if answer is not None:
            return _Streamed(answer)
    raise UnknownAudience(f"no module offers the audience {audience_id!r}")


class _Streamed:
    """The owner's recipients; what fails while they stream (e.g. a timed-out batch) is
    ``AudiencesUnavailable``, so a send stops resumably instead of crashing the page."""

    def __init__(self, recipients):
        self.recipients = recipients

    def __iter__(self):
        try:
            yield from self.recipients
        except Exception as exc:  # the owner's own error types are unknown here
            current_app.logger.warning("campaigns: the recipients stopped streaming: %s", exc)
            raise AudiencesUnavailable(str(exc)) from exc
