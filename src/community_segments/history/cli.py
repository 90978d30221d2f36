"""``segments refresh`` and ``segments history``, added to the shared ``segments`` group.

``register(group, friendly)`` takes the group's error wrapper (one-line errors, non-zero
exit) so this module need not import the CLI module that imports it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext


def register(group: click.Group, friendly: Callable) -> None:
    as_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    group.command("refresh")(as_json(with_appcontext(friendly(refresh_command))))
    group.command("history")(click.argument("segment")(
        as_json(with_appcontext(friendly(history_command)))))


def refresh_command(as_json: bool) -> None:
    """Compare every segment with the last refresh; record and signal who entered and left.

    Prints one line a segment: title, count, +entered, -left. Broken segments are skipped
    and named on stderr.
    """
    from .app import refresh_app
    report = refresh_app(current_app._get_current_object())  # type: ignore[attr-defined]
    for segment_id, title, reason in report.skipped:
        click.echo(f"skipped {title!r} (id {segment_id}): {reason}", err=True)
    if as_json:
        click.echo(json.dumps([{"id": r.segment_id, "title": r.title, "count": r.count,
                                "entered": r.entered, "left": r.left, "baseline": r.baseline,
                                "criteria_changed": r.criteria_changed,
                                "at": report.at.isoformat()} for r in report.segments], indent=2))
        return
    for r in report.segments:
        click.echo(f"{r.title}\t{r.count}\t+{r.entered}\t-{r.left}")


def history_command(segment: str, as_json: bool) -> None:
    """The recorded history points of SEGMENT (id or exact title), oldest first.

    One line a point: time, count, +entered, -left, and "baseline" or "criteria changed"
    where the point starts a new baseline.
    """
    from ..state import get_state
    from .read import point_dict, points
    service = get_state().service()
    rows = [point_dict(row) for row in points(service.session, service.get(segment).id)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        note = ("\tcriteria changed" if row["criteria_changed"]
                else "\tbaseline" if row["baseline"] else "")
        click.echo(f"{row['at']}\t{row['count']}\t+{row['entered']}\t-{row['left']}{note}")
