"""The campaign pages: list, compose, show progress, send. Admins only; POSTs need the CSRF token."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from itertools import islice

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from ..models import db
from . import audiences, mail
from .models import Campaign
from .sender import SendFailed, progress, send_campaign

MERGE_HINT = ("name", "email", "job_title", "department", "country")
RETRY_AFTER_SECONDS = 30
MAX_SUBJECT = 200  # the subject column's length
MAX_BODY_BYTES = 65_535  # a TEXT column on MariaDB


def make_blueprint(is_admin: Callable[[], bool]) -> Blueprint:
    bp = Blueprint("campaigns", __name__, template_folder="templates")
    bp.before_request(_guard(is_admin))
    bp.add_url_rule("/", "index", index)
    bp.add_url_rule("/new", "new", new, methods=["GET", "POST"])
    bp.add_url_rule("/<int:campaign_id>", "show", show)
    bp.add_url_rule("/<int:campaign_id>/send", "send", send, methods=["POST"])
    bp.register_error_handler(audiences.AudiencesUnavailable, _busy)
    return bp


def _busy(exc: audiences.AudiencesUnavailable):
    """The audiences could not be counted just now (a timeout): a 503 that says so."""
    return (render_template("campaigns/busy.html", message=str(exc)), 503,
            {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _guard(is_admin):
    def check():
        if not is_admin():
            abort(403)
        if request.method == "POST" and not _csrf_ok():
            abort(400, "The CSRF token is missing or invalid.")
    return check


def _csrf_ok() -> bool:
    """The form's token against the page token of the host's ``csrf_token()`` Jinja global."""
    sent = request.form.get("csrf_token", "")
    token = current_app.jinja_env.globals["csrf_token"]
    expected = token() if callable(token) else ""
    return bool(sent) and hmac.compare_digest(sent, expected)


def index():
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.id.desc())).all()
    return render_template("campaigns/index.html",
                           campaigns=[(c, progress(c)) for c in campaigns])


def new():
    offered = audiences.collect()
    if request.method == "GET":  # ?audience=segment:12 preselects ("Email this segment")
        return _compose_page(offered, {"audience": request.args.get("audience", "")}, 200)
    form = request.form
    problem = _problem(form, {a["id"]: a for a in offered})
    if problem is None:
        campaign = _create(form, offered)
        return redirect(url_for(".show", campaign_id=campaign.id))
    flash(problem)
    return _compose_page(offered, form, 422)


def _compose_page(offered: list[dict], form, status: int):
    return render_template("campaigns/new.html", audiences=offered, form=form,
                           grouped=audiences.grouped(offered), merge_fields=MERGE_HINT), status


def _problem(form, offered: dict) -> str | None:
    subject, body = form.get("subject", "").strip(), form.get("body", "")
    if not subject or not body.strip():
        return "Give the campaign a subject and a body."
    if len(subject) > MAX_SUBJECT:
        return f"The subject is too long: at most {MAX_SUBJECT} characters ({len(subject):,} given)."
    if len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        return f"The body is too long: at most {MAX_BODY_BYTES:,} bytes of UTF-8."
    if form.get("audience") not in offered:
        return "Pick an audience from the list."
    sample = _first_recipient(form["audience"])
    try:
        for text, what in ((subject, "Subject"), (body, "Body")):
            mail.check_template(text, None if sample is None else set(sample), what)
            if sample is not None:
                mail.try_render(text, sample, what)
    except mail.TemplateProblem as exc:
        return str(exc)
    return None


def _first_recipient(audience_id: str) -> dict | None:
    """A recipient to check the merge fields against (None for an empty audience)."""
    return next(islice(iter(audiences.recipients(audience_id)), 1), None)


def _create(form, offered: list[dict]) -> Campaign:
    audience = next(a for a in offered if a["id"] == form["audience"])
    if form.get("trigger") == "entered" and audience["id"].startswith("segment:"):
        from .triggers import create_triggered
        return create_triggered(audience, form["subject"], form["body"])
    campaign = Campaign(subject=form["subject"].strip(), body=form["body"],
                        audience_id=audience["id"], audience_label=audience["label"])
    db.session.add(campaign)
    db.session.commit()
    return campaign


def _campaign(campaign_id: int) -> Campaign:
    return db.session.get(Campaign, campaign_id) or abort(404)


def show(campaign_id: int):
    campaign = _campaign(campaign_id)
    from .triggers import is_triggered
    return render_template("campaigns/show.html", campaign=campaign, progress=progress(campaign),
                           audience=audiences.find(campaign.audience_id),
                           triggered=is_triggered(campaign))


def send(campaign_id: int):
    campaign = _campaign(campaign_id)
    before = progress(campaign).sent
    try:
        result = send_campaign(campaign.id)
        flash(_sent_message(result.sent - before, result))
    except (SendFailed, LookupError) as exc:
        flash(str(exc))
    return redirect(url_for(".show", campaign_id=campaign_id))


def _sent_message(fresh: int, result) -> str:
    """What this send did: a repeated send that found nobody new says so."""
    if fresh == 0:
        return (f"Nothing new to send: all {result.sent:,} recipients already received it."
                if result.sent else "Nothing to send: the audience has no members.")
    if fresh == result.sent:
        return f"Sent to {fresh:,} recipients."
    return f"Sent to {fresh:,} new recipients ({result.sent:,} in all)."
