"""The extension in a plain Flask app: fields from columns, plugins, service operations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from community_segments import get_state
from community_segments.errors import Conflict, CriteriaError, NotFound, ValidationError
from community_segments.models import Segment

from .generic_host import make_app

EVERYONE = {"match": "all", "rules": []}


@pytest.fixture
def app(db_url):
    app, db, User = make_app(db_url)
    with app.app_context():
        db.session.add_all([User(username=f"u{i}", email=f"u{i}@{'corp' if i % 3 == 0 else 'mail'}.com",
                                 karma=i, verified=i % 2 == 0) for i in range(1, 13)])
        db.session.commit()
        db.session.execute(sa.insert(app.tags), [{"user_id": 1, "tag": "beta"},
                                                 {"user_id": 2, "tag": "beta"},
                                                 {"user_id": 2, "tag": "vip"}])
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def service(app):
    return get_state(app).service()


def test_column_fields_skip_ids_and_secrets(app):
    keys = {f.key: str(f.type) for f in get_state(app).registry}
    assert keys == {"username": "text", "email": "text", "karma": "number",
                    "verified": "boolean", "signed_up": "date", "tags": "multi",
                    "segment": "segment"}  # built in on every host
    assert get_state(app).registry["tags"].provider == "tests.tags"


def test_count_members_and_total(service):
    corp = {"match": "all", "rules": [{"field": "email", "op": "contains", "value": "@CORP"}]}
    assert service.count(corp) == 4
    assert service.total_members() == 12
    assert service.count(EVERYONE) == 12
    page = service.members(corp, page=2, per_page=3, sort="username", direction="desc")
    assert page.total == 4 and page.pages == 2
    assert [m["username"] for m in page.items] == ["u12"]


def test_create_update_conflict_and_delete(service):
    segment = service.create("Beta", {"rules": [{"field": "tags", "op": "has_any", "value": ["BETA"]}]},
                             description="beta testers", group="Programs", actor="alice")
    assert (segment.version, segment.group.name, segment.created_by) == (1, "Programs", "alice")
    assert service.count(segment.criteria) == 2
    with pytest.raises(ValidationError, match="exists already"):
        service.create("Beta", EVERYONE)
    updated = service.update(segment.id, version=1, title="Beta testers", actor="bob")
    assert (updated.version, updated.updated_by) == (2, "bob")
    with pytest.raises(Conflict, match="changed by someone else"):
        service.update(segment.id, version=1, description="stale")
    assert service.get("Beta testers").description == "beta testers"
    service.delete("Beta testers")
    with pytest.raises(NotFound):
        service.get(segment.id)
    service.create("Beta", EVERYONE)  # a deleted title is free again


def test_bad_criteria_name_the_rule(service):
    with pytest.raises(CriteriaError) as caught:
        service.create("Bad", {"rules": [{"field": "email", "op": "is_empty"},
                                         {"field": "karma", "op": "contains", "value": "x"}]})
    assert "rules[1].op: 'contains' is not an operator of number field 'karma'" in str(caught.value)
    assert service.session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0


def test_duplicate_and_move_between_groups(service):
    a = service.create("A", EVERYONE, group="One")
    b = service.create("B", EVERYONE, group="One")
    copy = service.duplicate(a.id)
    assert (copy.title, copy.group.name, copy.position) == ("A (copy)", "One", 2)
    assert service.duplicate(a.id).title == "A (copy 2)"
    two = service.create_group("Two")
    service.move(b.id, two.id, 0)
    service.move(copy.id, "One", 0)
    assert [s.title for s in service.get_group("One").segments] == ["A (copy)", "A", "A (copy 2)"]
    service.delete_group("One")
    assert service.get("A").group is None
    assert [s.title for s in service.list_segments()][:1] == ["B"]


def test_broken_segment_is_kept_and_reported(service, app):
    segment = service.create("Tagged", {"rules": [{"field": "tags", "op": "is_not_empty"}]})
    registry = get_state(app).registry
    del registry._fields["tags"]  # the provider was uninstalled
    (result,) = service.counts()
    assert result.broken and result.count is None
    assert "unknown field 'tags'" in result.error
    assert service.get(segment.id).title == "Tagged"
    fixed = service.update(segment.id, criteria=EVERYONE)
    assert service.problem(fixed) is None


def test_stream_in_batches_keeps_id_order(service):
    rows = list(service.stream_members(EVERYONE, batch_size=5))
    assert [r["id"] for r in rows] == list(range(1, 13))
    assert {"id", "username", "email"} <= set(rows[0])


def test_overlap_names_subsets_and_duplicates(service):
    corp = service.create("Corp", {"rules": [{"field": "email", "op": "ends_with", "value": "corp.com"}]})
    karma = service.create("Karma 3+", {"rules": [{"field": "karma", "op": "gte", "value": 3}]})
    same = service.create("Corp again", {"rules": [{"field": "email", "op": "contains", "value": "@corp."}]})
    overlap = service.overlap([corp.id, karma.id, same.id])
    assert overlap.matrix == [[4, 4, 4], [4, 10, 4], [4, 4, 4]]
    assert overlap.share(1, 0) == 40.0
    relations = {(kind, a.title, b.title) for kind, a, b in overlap.relations()}
    assert relations == {("duplicate", "Corp", "Corp again"), ("subset", "Corp", "Karma 3+"),
                         ("subset", "Corp again", "Karma 3+")}


def test_one_save_is_one_version_step(service):
    segment = service.create("Step", EVERYONE)
    saved = service.update(segment.id, version=1, title="Step two", criteria=EVERYONE,
                           description="both at once", group="Programs")
    assert saved.version == 2
    with pytest.raises(ValidationError, match="unknown attribute"):
        service.update(segment.id, colour="red")
    assert service.get(segment.id).version == 2
