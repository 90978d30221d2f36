"""``community-segments campaigns send ID``: send (or resume) a campaign from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .sender import SendFailed, send_campaign


@click.group("campaigns")
def campaigns_cli():
    """Email campaigns of the demo community."""


@campaigns_cli.command("send")
@click.argument("campaign_id", type=int)
@with_appcontext
def send_command(campaign_id):
    """Send campaign CAMPAIGN_ID to its audience; members already mailed are skipped."""
    try:
        result = send_campaign(campaign_id)
    except (SendFailed, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Campaign {campaign_id}: {result.sent} of {result.total} sent, "
               f"{result.refused} refused, {result.unconfirmed} unconfirmed")


@campaigns_cli.command("on-enter")
@click.option("--audience", required=True, help="A segment audience id, e.g. segment:1.")
@click.option("--subject", required=True)
@click.option("--body", required=True, help="Plain text; merge fields as {{ name }}.")
@with_appcontext
def on_enter_command(audience, subject, body):
    """Create a campaign sent to each member when they enter AUDIENCE's segment."""
    from . import audiences, mail
    from .triggers import create_triggered

    found = audiences.find(audience)
    if found is None or not audience.startswith("segment:"):
        raise click.ClickException(f"--audience: {audience!r} is not a segment audience on offer")
    try:
        for text, what in ((subject, "--subject"), (body, "--body")):
            mail.check_template(text, None, what)
    except mail.TemplateProblem as exc:
        raise click.ClickException(str(exc)) from None
    campaign = create_triggered(found, subject, body)
    click.echo(f"Campaign {campaign.id}: sent to each member who enters {found['label']!r}")
