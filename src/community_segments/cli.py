"""``segments`` commands, thin over the service: ``flask segments``, ``flaskbb segments``,
``community-segments segments``. Bad input exits 1 with one line naming what is wrong."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from . import migrate
from .catalogue import describe_fields
from .errors import SegmentsError
from .export import csv_chunks, json_array_chunks
from .query.criteria import Criteria, parse
from .state import get_state


def _state():
    return get_state()


def _service():
    return _state().service()


def friendly(command):
    """Turn our errors into one-line messages and a non-zero exit, never a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SegmentsError as exc:
            raise click.ClickException(str(exc).replace("\n", " ")) from None
        except sa.exc.DBAPIError:
            state = _state()
            problem = migrate.schema_problem(state.db, state.host.name)
            if problem is None:
                raise
            raise click.ClickException(str(problem)) from None
    return wrapper


class OneLineUsageError(click.ClickException):
    """A usage error told in one line (no usage text), keeping click's exit status 2."""

    exit_code = 2


class OneLineErrorsGroup(click.Group):
    """A group whose sub-commands report bad arguments in one line, like every other error."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise OneLineUsageError(exc.format_message()) from None


def _criteria(segment: str | None, criteria: str | None) -> Criteria:
    """The criteria of a segment (id or title) or of ``--criteria`` (JSON, or @file),
    parsed once here."""
    if (segment is None) == (criteria is None):
        # ClickException, not UsageError: bad input gets one line, not usage + help + error
        raise click.ClickException("give either SEGMENT or --criteria JSON")
    if criteria is None:
        service = _service()
        return service.stored(service.get(segment))
    if criteria.startswith("@"):
        try:
            criteria = Path(criteria[1:]).read_text()
        except OSError as exc:
            raise click.ClickException(f"--criteria: {exc}") from None
    return parse(criteria, _state().registry)


@click.group("segments", cls=OneLineErrorsGroup)
def segments_cli():
    """Member segments: fields, segments, counts and members."""


@segments_cli.command("fields")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
@friendly
def fields_command(as_json):
    """Every filter field with its type, operators and provider."""
    rows = [{"key": f["key"], "label": f["label"], "type": f["type"], "category": f["category"],
             "operators": [op["key"] for op in f["operators"]], "provider": f["provider"]}
            for f in describe_fields(_state().registry)]
    for name, reason in _state().registry.failures.items():
        click.echo(f"unavailable: the fields of plugin {name!r} ({reason})", err=True)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['key']:<20} {row['type']:<8} {row['provider']:<32} "
                   f"{', '.join(row['operators'])}")


@segments_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
@friendly
def list_command(as_json):
    """Segments with their group, member count and percentage of all members."""
    rows = [{"id": c.segment.id, "title": c.segment.title,
             "group": c.segment.group_name,
             "count": c.count, "percent": c.percent, "error": c.error}
            for c in _service().counts()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        figures = (f"{row['count']:>8} {row['percent']:>5.1f}%" if row["error"] is None
                   else f"broken: {row['error']}")
        click.echo(f"{row['id']:>4}  {row['title']:<36} {row['group'] or 'Ungrouped':<24} {figures}")


@segments_cli.command("count")
@click.argument("segment", required=False)
@click.option("--criteria", help="Criteria JSON (or @file.json) instead of a segment.")
@with_appcontext
@friendly
def count_command(segment, criteria):
    """Print the member count of SEGMENT (id or exact title) or of --criteria."""
    click.echo(_service().count(_criteria(segment, criteria)))


@segments_cli.command("members")
@click.argument("segment", required=False)
@click.option("--criteria", help="Criteria JSON (or @file.json) instead of a segment.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@with_appcontext
@friendly
def members_command(segment, criteria, fmt):
    """Stream the members of SEGMENT or --criteria as JSON (one array) or CSV."""
    service = _service()
    rows = service.stream_members(_criteria(segment, criteria))
    if fmt == "csv":
        chunks = csv_chunks(rows, list(_state().view.columns))
    else:
        chunks = json_array_chunks(rows)
    for chunk in chunks:
        click.echo(chunk, nl=False)


@segments_cli.command("create")
@click.option("--title", required=True)
@click.option("--description", default="")
@click.option("--group", default=None, help="Group name (created when missing) or id.")
@click.option("--criteria", required=True, help="Criteria JSON (or @file.json).")
@with_appcontext
@friendly
def create_command(title, description, group, criteria):
    """Create a segment."""
    service, parsed = _service(), _criteria(None, criteria)
    segment = service.create(title, parsed, description, group, actor="cli")
    click.echo(f"Created segment {segment.id}: {segment.title} ({service.count(parsed)} members)")


@segments_cli.command("delete")
@click.argument("segment")
@with_appcontext
@friendly
def delete_command(segment):
    """Delete SEGMENT (id or exact title)."""
    service = _service()
    found = service.get(segment)
    title, segment_id = found.title, found.id
    service.delete(segment_id)
    click.echo(f"Deleted segment {segment_id}: {title}")


@segments_cli.command("values")
@click.argument("field")
@click.option("--prefix", default="", help="Only values containing this text (starting with it first).")
@click.option("--limit", default=10, show_default=True, help="At most this many values (1 to 100).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
@friendly
def values_command(field, prefix, limit, as_json):
    """The most common values of a text, enum or multi FIELD with their member counts."""
    found = _state().suggester().suggest(field, prefix, limit)
    if as_json:
        click.echo(json.dumps({"field": found.field, "prefix": found.prefix,
                               "values": found.items, "about": found.about,
                               "sampled": found.sampled}, indent=2))
        return
    for item in found.items:
        click.echo(f"{item['value']}\t{item['count']}")
    if found.about:
        click.echo(f"(counts estimated from a sample of {found.sampled} members)", err=True)


@segments_cli.command("seed-defaults")
@with_appcontext
@friendly
def seed_defaults_command():
    """Create the default segments that are missing."""
    created, skipped = _service().seed_defaults()
    for segment in created:
        click.echo(f"Created segment {segment.id}: {segment.title}")
    for reason in skipped:
        click.echo(f"Skipped {reason}", err=True)
    click.echo(f"{len(created)} default segments created")


# -- one member ----------------------------------------------------------------------------

def _insight():
    from .insight import MemberInsight
    return MemberInsight(_service())


@segments_cli.command("explain")
@click.argument("segment")
@click.argument("member")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
@friendly
def explain_command(segment, member, as_json):
    """Whether MEMBER (id or exact username) is in SEGMENT (id or exact title), and why:
    every rule marked, with the member's value(s). Exits 0 either way."""
    from .insight import explained_json
    data = explained_json(_insight().explain(segment, member), _state().registry)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    who = data["member"]
    click.echo(f"Segment: {data['segment']['title']} (id {data['segment']['id']})")
    click.echo(f"Member: {who['username']} (id {who['id']}, {who['email'] or 'no email'})")
    if data["error"]:
        click.echo(f"The segment is broken: {data['error']}")
    else:
        for line in _tree_lines(data["tree"]):
            click.echo(line)
        if not data["in_member_base"]:
            click.echo("This user is outside the member base, so in no segment.")
    click.echo(f"{member} is {'in' if data['in_segment'] else 'not in'} {segment}")


def _tree_lines(node: dict, depth: int = 0) -> list[str]:
    box, pad = "[x]" if node["matched"] else "[ ]", "    " * depth
    if node["kind"] == "group":
        head = "all of" if node["match"] == "all" else "any of"
        if not node["rules"]:
            head = "no rules: every member"
        lines = [f"{pad}{box} {head}"]
        for child in node["rules"]:
            lines += _tree_lines(child, depth + 1)
        return lines
    detail = f"member: {_shown(node['member_value'])}"
    if node["cutoff"]:
        detail += f"; cut-off {node['cutoff']}"
    return [f"{pad}{box} {node['sentence']}  ({detail})"]


def _shown(value) -> str:
    if value is None or value == []:
        return "empty"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


@segments_cli.command("memberships")
@click.argument("member")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
@friendly
def memberships_command(member, as_json):
    """The segments MEMBER (id or exact username) is in, one title a line."""
    _, found = _insight().memberships(member)
    rows = [{"id": m.segment.id, "title": m.segment.title} for m in found if m.member]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(row["title"])
    for broken in (m for m in found if m.error):
        click.echo(f"Skipped broken segment {broken.segment.title!r}: {broken.error}", err=True)


from .history.cli import register as _register_history  # noqa: E402  (refresh, history)

_register_history(segments_cli, friendly)

from .db_cli import db_cli  # noqa: E402  (a sub-group of ``segments``)

segments_cli.add_command(db_cli)
