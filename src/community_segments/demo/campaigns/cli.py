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
