"""``segments refresh`` and ``segments history``, added to the shared ``segments`` group."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


def register(group: click.Group) -> None:
    group.add_command(refresh_command)
    group.add_command(history_command)


def _friendly(command):
    from ..cli import friendly
    return friendly(command)


@click.command("refresh")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def refresh_command(as_json):
    """Compare every segment with the last refresh; record and signal who entered and left.

    Prints one line a segment: title, count, +entered, -left. Broken segments are skipped
    and named on stderr.
    """
    _friendly(_refresh)(as_json)


def _refresh(as_json: bool) -> None:
    from .app import refresh_app
    report = refresh_app(current_app._get_current_object())
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


@click.command("history")
@click.argument("segment")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def history_command(segment, as_json):
    """The recorded history points of SEGMENT (id or exact title), oldest first.

    One line a point: time, count, +entered, -left, and "baseline" or "criteria changed"
    where the point starts a new baseline.
    """
    _friendly(_history)(segment, as_json)


def _history(segment: str, as_json: bool) -> None:
    from ..extension import get_state
    from .read import point_dict, points
    service = get_state().service()
    found = points(service.session, service.get(segment).id)
    rows = [point_dict(row) for row in found]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        note = ("\tcriteria changed" if row["criteria_changed"]
                else "\tbaseline" if row["baseline"] else "")
        click.echo(f"{row['at']}\t{row['count']}\t+{row['entered']}\t-{row['left']}{note}")
