"""The demo's campaign module: compose, pick a segment as audience, send over real SMTP.

Requests run without an outer app context (the demo caches the member in ``g``), so the
database work of a test runs in ``with app.app_context()`` blocks of its own.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from community_segments.demo import campaigns
from community_segments.demo.campaigns.models import Campaign, Delivery
from community_segments.demo.campaigns.sender import SendFailed, send_campaign
from community_segments.demo.models import Member, db
from community_segments.errors import InUse
from community_segments.extension import get_state
from community_segments.models import Segment
from community_segments.types import utcnow

from .conftest import MEMBERS, logged_in, token

EVERYONE = {"match": "all", "rules": []}
CUSTOMER_SUCCESS = {"match": "all", "rules": [
    {"field": "department", "op": "equals", "value": "Customer Success"}]}
BODY = "Dear {{ name }},\nas {{ job_title }} in {{ department }} ({{ country }}) you matter.\n"


@pytest.fixture(scope="module")
def segments(app):
    with app.app_context():
        service = get_state().service()
        return {"everyone": service.create("Everyone", EVERYONE).id,
                "cs": service.create("Customer Success", CUSTOMER_SUCCESS).id}


@pytest.fixture(scope="module")
def admin(app):
    client = logged_in(app)
    client.csrf = token(client)
    return client


def compose(admin, audience: str, subject="Hello {{ name }}", body=BODY) -> int:
    response = admin.post("/admin/campaigns/new", data={
        "csrf_token": admin.csrf, "audience": audience, "subject": subject, "body": body})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def emails(app, criteria) -> Counter:
    with app.app_context():
        rows = get_state().service().stream_members(criteria, columns=["email"])
        return Counter(row["email"] for row in rows)


def send(app, campaign_id: int):
    with app.app_context():
        return send_campaign(campaign_id)


def deliveries(app, campaign_id: int) -> Counter:
    with app.app_context():
        return Counter(db.session.scalars(sa.select(Delivery.status).where(
            Delivery.campaign_id == campaign_id)))


def test_the_module_imports_nothing_of_community_segments_but_demo_models():
    own = "community_segments.demo.campaigns"
    allowed = ("community_segments.demo.models", own)
    for path in Path(campaigns.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # relative to the campaigns package
                    base = own.split(".")[:4 - node.level]
                    module = ".".join([*base, *filter(None, [module])])
                assert not module.startswith("community_segments") or \
                    module.startswith(allowed), (path.name, module)
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("community_segments") for a in node.names)


def test_segments_are_offered_as_audiences_with_counts(app, admin, segments):
    html = admin.get("/admin/campaigns/new").get_data(as_text=True)
    with app.app_context():
        count = get_state().service().count(CUSTOMER_SUCCESS)
    assert f'value="segment:{segments["cs"]}"' in html
    assert f"Customer Success ({count} members)" in html


def test_send_3000_members_each_once_personalised_and_never_twice(app, admin, segments, inbox):
    campaign_id = compose(admin, f"segment:{segments['everyone']}")
    with app.app_context():  # joins after the campaign was composed, before it is sent
        db.session.add(Member(username="late.joiner", email="late@example.org",
                              job_title="Scout", department="Sales", country="NL",
                              signed_up=utcnow()))
        db.session.commit()
    response = admin.post(f"/admin/campaigns/{campaign_id}/send", data={"csrf_token": admin.csrf})
    assert response.status_code == 302
    expected = emails(app, EVERYONE)
    assert len(expected) == MEMBERS + 2 and "late@example.org" in expected
    assert Counter(inbox.recipients()) == expected  # every member, each exactly once
    _check_personalised(app, inbox)
    page = admin.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
    assert f"Sent: <strong>{MEMBERS + 2}</strong> of {MEMBERS + 2}" in page
    admin.post(f"/admin/campaigns/{campaign_id}/send", data={"csrf_token": admin.csrf})
    assert len(inbox.raw) == MEMBERS + 2  # the re-run sent nothing
    assert deliveries(app, campaign_id) == {"sent": MEMBERS + 2}


def _check_personalised(app, inbox):
    with app.app_context():
        members = {m.email: m for m in db.session.scalars(sa.select(Member))}
    for index in (0, 1, 1500, len(inbox.raw) - 1):
        message = inbox.message(index)
        member = members[message["To"].addresses[0].addr_spec]
        assert message["Subject"] == f"Hello {member.username}"
        body = message.get_content()
        assert body.startswith(f"Dear {member.username},\nas {member.job_title or ''} in ")
        assert f"({member.country or ''})" in body


def test_an_interrupted_send_resumes_without_duplicates(app, segments, inbox, admin):
    campaign_id = compose(admin, f"segment:{segments['cs']}")
    expected = emails(app, CUSTOMER_SUCCESS)
    assert len(expected) > 200
    inbox.fail_after = 120  # mid-batch, the server starts refusing with 421
    with pytest.raises(SendFailed, match="421"):
        send(app, campaign_id)
    assert len(inbox.raw) == 120
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.status == "interrupted" and "421" in campaign.last_error
    assert deliveries(app, campaign_id) == {"sent": 120}  # unsent claims were released
    inbox.fail_after = None
    result = send(app, campaign_id)
    assert Counter(inbox.recipients()) == expected
    assert (result.sent, result.unconfirmed, result.status) == (len(expected), 0, "sent")


def test_a_server_that_is_down_sends_nothing_and_a_retry_completes(app, smtp, segments, inbox,
                                                                   admin):
    campaign_id = compose(admin, f"segment:{segments['cs']}", subject="Second {{ name }}")
    smtp.stop()
    with pytest.raises(SendFailed, match="send again to resume"):
        send(app, campaign_id)
    assert deliveries(app, campaign_id) == {}
    smtp.start()
    result = app.test_cli_runner().invoke(args=["campaigns", "send", str(campaign_id)])
    assert result.exit_code == 0, result.output
    expected = emails(app, CUSTOMER_SUCCESS)
    assert f"{len(expected)} of {len(expected)} sent" in result.output
    assert Counter(inbox.recipients()) == expected


def test_a_claim_left_by_a_crash_is_never_resent(app, segments, inbox, admin):
    campaign_id = compose(admin, f"segment:{segments['cs']}", subject="Third")
    expected = emails(app, CUSTOMER_SUCCESS)
    victim = next(iter(expected))
    with app.app_context():  # what a process killed mid-batch leaves behind
        member_id = db.session.scalar(sa.select(Member.id).where(Member.email == victim))
        db.session.add(Delivery(campaign_id=campaign_id, member_id=member_id, email=victim,
                                status="sending"))
        db.session.commit()
    result = send(app, campaign_id)
    assert victim not in inbox.recipients()
    assert len(inbox.raw) == len(expected) - 1 and result.unconfirmed == 1
    page = admin.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Unconfirmed (connection broke mid-transfer, not resent): 1" in page


@pytest.mark.parametrize(("form", "message"), [
    ({"subject": "Hi {{ nmae }}"}, "unknown merge field &#39;nmae&#39;"),
    ({"body": "{% for %}"}, "Body:"),
    ({"audience": "segment:99999"}, "Pick an audience"),
    ({"audience": "newsletter:1"}, "Pick an audience"),
    ({"subject": ""}, "subject and a body"),
    ({"body": "{{ name.__class__.__mro__ }}"}, "unsafe"),
])
def test_bad_compositions_are_refused_with_a_reason(admin, segments, form, message):
    data = {"csrf_token": admin.csrf, "audience": f"segment:{segments['cs']}",
            "subject": "Hi", "body": "Text", **form}
    response = admin.post("/admin/campaigns/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_the_sandbox_refuses_unsafe_templates_at_send_time_too(app, segments, inbox):
    with app.app_context():  # stored by other means than the compose form
        campaign = Campaign(subject="Hi", audience_id=f"segment:{segments['cs']}",
                            audience_label="CS",
                            body="{{ name.__class__.__mro__[1].__subclasses__() }}")
        db.session.add(campaign)
        db.session.commit()
        campaign_id = campaign.id
    with pytest.raises(SendFailed, match="unsafe"):
        send(app, campaign_id)
    assert inbox.raw == [] and deliveries(app, campaign_id) == {}


def test_pages_are_for_admins_and_posts_need_the_token(app, segments):
    anonymous = app.test_client()
    assert anonymous.get("/admin/campaigns/").status_code == 403
    assert anonymous.post("/admin/campaigns/new").status_code == 403
    admin = logged_in(app)
    assert admin.get("/admin/campaigns/").status_code == 200
    data = {"audience": f"segment:{segments['cs']}", "subject": "S", "body": "B"}
    before = _campaigns(app)
    assert admin.post("/admin/campaigns/new", data=data).status_code == 400
    assert admin.post("/admin/campaigns/new",
                      data={**data, "csrf_token": "forged"}).status_code == 400
    assert admin.post("/admin/campaigns/1/send", data={}).status_code == 400
    assert _campaigns(app) == before


def _campaigns(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Campaign))


def test_sending_to_a_deleted_segment_says_so(app, admin, inbox):
    with app.app_context():
        segment_id = get_state().service().create("Short-lived", CUSTOMER_SUCCESS).id
    campaign_id = compose(admin, f"segment:{segment_id}")
    with app.app_context():  # the draft uses it, so the service refuses: gone behind its back
        db.session.execute(sa.delete(Segment).where(Segment.id == segment_id))
        db.session.commit()
    response = admin.post(f"/admin/campaigns/{campaign_id}/send",
                          data={"csrf_token": admin.csrf}, follow_redirects=True)
    assert response.status_code == 200
    assert f"audience &#39;segment:{segment_id}&#39; does not exist (deleted?)" in \
        response.get_data(as_text=True)
    assert inbox.raw == []


def test_a_segment_a_draft_or_unfinished_campaign_uses_cannot_be_deleted(app, admin, inbox):
    with app.app_context():
        segment_id = get_state().service().create("Audience in use", CUSTOMER_SUCCESS).id
    with app.app_context():  # SQLite may reuse a deleted segment's id: no other campaign on it
        db.session.execute(sa.delete(Campaign).where(Campaign.audience_id == f"segment:{segment_id}"))
        db.session.commit()
    campaign_id = compose(admin, f"segment:{segment_id}", subject="In use {{ name }}")
    with app.app_context():
        service = get_state().service()
        assert service.usage(service.get(segment_id)).campaigns == [
            "Campaign 'In use {{ name }}' (draft)"]
        with pytest.raises(InUse) as refused:
            service.delete(segment_id)
        assert "(draft)" in str(refused.value) and refused.value.uses
    send(app, campaign_id)
    with app.app_context():  # sent: the campaign is done with its audience
        service = get_state().service()
        assert service.usage(service.get(segment_id)).campaigns == []
        service.delete(segment_id)

def test_a_second_send_says_nothing_new_was_sent(app, admin, segments, inbox):
    campaign_id = compose(admin, f"segment:{segments['cs']}", subject="Twice")
    first = admin.post(f"/admin/campaigns/{campaign_id}/send", data={"csrf_token": admin.csrf},
                       follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        count = get_state().service().count(CUSTOMER_SUCCESS)
    assert f"Sent to {count:,} recipients." in first
    again = admin.post(f"/admin/campaigns/{campaign_id}/send", data={"csrf_token": admin.csrf},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Nothing new to send: all {count:,} recipients already received it." in again
    assert "Sent to" not in again


def test_the_compose_form_preselects_and_groups_audiences(app, admin, segments):
    with app.app_context():
        service = get_state().service()
        service.move(segments["cs"], "Teams", create_group=True)
    html = admin.get(f"/admin/campaigns/new?audience=segment:{segments['cs']}")
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    teams = text[text.index('<optgroup label="Teams">'):]
    assert f'value="segment:{segments["cs"]}" selected' in teams[:teams.index("</optgroup>")]
    assert text.index('<optgroup label="Teams">') < text.index('<optgroup label="Other audiences">')
    assert 'href="/admin/segments/"' in text and 'href="/admin/campaigns/"' in text
