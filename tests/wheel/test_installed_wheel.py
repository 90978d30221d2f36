"""The installed wheel (issue 11): every file ships; the demo served by the installed
console script answers every route of its url_map as admin with 2xx/3xx, takes every
state change once with the CSRF token, and every CLI command runs once."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..campaigns.conftest import SmtpServer
from .installed import (
    PROBE,
    Browser,
    build_wheel,
    clean_env,
    free_port,
    installed_venv,
    source_files,
    wait_for_port,
    wheel_files,
)

EVERYONE = {"match": "all", "rules": []}
US = {"match": "all", "rules": [{"field": "country", "op": "equals", "value": "US"}]}
MEMBERS = 60
ADMIN_ONLY = "/admin/"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_holds_every_file_of_the_package(wheel):
    missing = sorted(source_files() - wheel_files(wheel))
    assert missing == []
    assert "community_segments/demo/campaigns/templates/campaigns/new.html" in wheel_files(wheel)


@dataclass
class Site:
    venv: Path
    workdir: Path
    env: dict
    base: str
    probe: dict
    smtp: SmtpServer
    admin: Browser = field(init=False)

    def __post_init__(self):
        self.admin = Browser(self.base)
        self.admin.log_in("admin", "admin")

    def cli(self, *args: str, database: str | None = None) -> subprocess.CompletedProcess:
        env = self.env if database is None else {**self.env, "DATABASE_URL": database}
        return subprocess.run([str(self.venv / "bin" / "community-segments"), *args],
                              cwd=self.workdir, env=env, capture_output=True, text=True,
                              timeout=120)

    def token(self) -> str:
        return self.admin.request("GET", "/admin/segments/api/csrf").json()["csrf_token"]

    def api(self, method: str, path: str, body=None, status: int = 200):
        answer = self.admin.request(method, "/admin/segments/api" + path, json_body=body,
                                    headers={"X-CSRFToken": self.token()})
        assert answer.status == status, (method, path, answer.status, answer.text[:300])
        return answer.json() if answer.body else None

    def form(self, path: str, data: dict, status: int = 302):
        answer = self.admin.request("POST", path, form={**data, "csrf_token": self.token()})
        assert answer.status == status, (path, answer.status, answer.text[:300])
        return answer


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory):
    venv = installed_venv(wheel)
    workdir = tmp_path_factory.mktemp("installed")
    smtp = SmtpServer()
    smtp.start()
    env = clean_env(DATABASE_URL=f"sqlite:///{workdir / 'community.sqlite'}",
                    SECRET_KEY="wheel-test", CAMPAIGNS_SMTP_HOST="127.0.0.1",
                    CAMPAIGNS_SMTP_PORT=str(smtp.port))
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", PROBE], cwd=workdir, env=env,
                           capture_output=True, text=True, check=True)
    port = free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "community-segments"), "demo", "--users", str(MEMBERS), "--seed", "3",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, server)
        yield Site(venv, workdir, env, f"http://127.0.0.1:{port}",
                   json.loads(probe.stdout), smtp)
    finally:
        server.terminate()
        server.wait(timeout=20)
        smtp.stop()


def test_the_installed_package_is_the_wheel_not_this_checkout(site):
    installed = Path(site.probe["file"])
    assert site.venv in installed.parents and "site-packages" in installed.parts


@pytest.fixture(scope="module")
def ids(site) -> dict:
    """Real ids for the URL parameters: a segment, a group, a campaign (made by its form)."""
    segments = site.api("GET", "/segments")["segments"]
    groups = site.api("GET", "/groups")["groups"]
    segment = next(s for s in segments if s["count"])
    site.form("/admin/campaigns/new", {"audience": f"segment:{segment['id']}",
                                       "subject": "Hello {{ name }}", "body": "Hi {{ name }}!"})
    campaign = re.search(r"/admin/campaigns/(\d+)", site.admin.request(
        "GET", "/admin/campaigns/").text).group(1)
    member = site.api("GET", f"/segments/{segment['id']}/members")["items"][0]
    return {"segment_id": segment["id"], "group_id": groups[0]["id"],
            "campaign_id": int(campaign), "segment_ids": [s["id"] for s in segments],
            "member_id": member["id"], "key": "country", "side": "added"}


def criteria_query(criteria: dict) -> str:
    return "criteria=" + urllib.parse.quote(json.dumps(criteria))


def get_urls(site, ids) -> list[str]:
    """Every GET rule of the url_map, made concrete: ids filled in, required queries added,
    every static file the wheel ships for each static route."""
    queries = {
        "community_segments.api.count_get": criteria_query(US),
        "community_segments.api.members_get": criteria_query(US),
        "community_segments.api.export_adhoc": criteria_query(US),
        "community_segments.api.overlap": f"ids={ids['segment_ids'][0]},{ids['segment_ids'][1]}",
        "community_segments.pages.overlap": f"ids={ids['segment_ids'][0]},{ids['segment_ids'][1]}",
        "community_segments.pages.members": criteria_query(US) + "&sort=post_count",
        "community_segments.pages.explain": f"member={ids['member_id']}",
        "community_segments.api.explain": f"member={ids['member_id']}",
        "community_segments.api.search_members": "q=a",
        **{f"community_segments.{endpoint}": criteria_query(EVERYONE) for endpoint in (
            "pages.changes", "pages.changes_csv", "api.diff_page", "api.diff_csv")},
    }
    urls = []
    for rule in site.probe["rules"]:
        if "GET" not in rule["methods"]:
            continue
        if rule["rule"].endswith("<path:filename>"):
            urls += static_urls(site, rule)
            continue
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule["rule"])
        query = queries.get(rule["endpoint"])
        urls.append(f"{path}?{query}" if query else path)
    return urls


def static_urls(site, rule) -> list[str]:
    """The installed files behind a static route (the demo app itself has none)."""
    package = Path(site.probe["file"]).parent
    folder = {"community_segments.static": package / "static",
              "static": package / "demo" / "static"}[rule["endpoint"]]
    prefix = rule["rule"].removesuffix("<path:filename>")
    return [prefix + path.relative_to(folder).as_posix()
            for path in sorted(folder.rglob("*")) if path.is_file()]


def test_every_get_route_answers_the_admin_and_refuses_anonymous_visitors(site, ids):
    urls = get_urls(site, ids)
    assert len(urls) >= 25
    assert any(u == "/admin/segments/static/community_segments/segments.css" for u in urls)
    anonymous = Browser(site.base)
    for url in urls:
        answer = site.admin.request("GET", url)
        assert 200 <= answer.status < 400, (url, answer.status, answer.text[:300])
        if url.startswith(ADMIN_ONLY) and "/static/" not in url:
            refused = anonymous.request("GET", url)
            assert refused.status in (302, 403), (url, refused.status)
            if "/api/" in url:
                assert refused.status == 403 and refused.json()["message"]
            elif url.startswith("/admin/segments/"):  # (the demo's campaign pages say 403)
                assert refused.status == 302
                assert refused.headers["Location"].startswith("/login")


def test_the_campaign_pages_render_from_the_installed_templates(site, ids):
    for path in ("/admin/campaigns/", "/admin/campaigns/new",
                 f"/admin/campaigns/{ids['campaign_id']}"):
        answer = site.admin.request("GET", path)
        assert (answer.status == 200 and "<form" in answer.text) or "Hello" in answer.text, path


def exercise_api_writes(site) -> set[str]:
    site.api("POST", "/count", {"criteria": US})
    site.api("POST", "/members", {"criteria": US, "per_page": 5})
    group = site.api("POST", "/groups", {"name": "From the wheel"}, 201)["id"]
    site.api("PATCH", f"/groups/{group}", {"name": "From the wheel, renamed"})
    order = [g["id"] for g in site.api("GET", "/groups")["groups"]][::-1]
    site.api("POST", "/groups/order", {"ids": order})
    segment = site.api("POST", "/segments", {"title": "Wheel API", "criteria": US,
                                             "group": group}, 201)
    site.api("PATCH", f"/segments/{segment['id']}", {"version": segment["version"],
                                                     "title": "Wheel API, renamed"})
    copy = site.api("POST", f"/segments/{segment['id']}/duplicate", None, 201)
    site.api("POST", f"/segments/{segment['id']}/move", {"group": None})
    diff = site.api("POST", f"/segments/{segment['id']}/diff", {"criteria": EVERYONE})
    assert diff["added"] >= 0 and "added_members" in diff, diff
    site.api("DELETE", f"/segments/{copy['id']}", None, 204)
    site.api("DELETE", f"/groups/{group}", None, 204)
    site.api("DELETE", f"/segments/{segment['id']}", None, 204)
    return {"community_segments.api." + name for name in (
        "count_post", "members_post", "create_group", "rename_group", "reorder_groups",
        "create_segment", "update_segment", "duplicate_segment", "move_segment",
        "delete_segment", "delete_group", "diff")}


def exercise_page_writes(site) -> set[str]:
    site.form("/admin/segments/groups", {"name": "Page group"})
    group = next(g["id"] for g in site.api("GET", "/groups")["groups"] if g["name"] == "Page group")
    site.form(f"/admin/segments/groups/{group}/rename", {"name": "Page group, renamed"})
    saved = site.form("/admin/segments/members", {"title": "Page segment", "description": "",
                                                  "criteria": json.dumps(US), "group": group})
    segment = int(re.search(r"/admin/segments/(\d+)", saved.headers["Location"]).group(1))
    preview = site.admin.request("POST", f"/admin/segments/preview?segment={segment}",
                                 json_body={"criteria": EVERYONE},
                                 headers={"X-CSRFToken": site.token()})
    assert preview.status == 200 and preview.json()["added"] is not None
    version = site.api("GET", f"/segments/{segment}")["version"]
    site.form(f"/admin/segments/{segment}", {"version": version, "title": "Page segment 2",
                                             "description": "d", "criteria": json.dumps(US),
                                             "group": group})
    site.form("/admin/segments/move", {"segment": segment, "group": "", "position": 0})
    copy = site.form(f"/admin/segments/{segment}/duplicate", {})
    copy_id = int(re.search(r"/admin/segments/(\d+)", copy.headers["Location"]).group(1))
    site.form(f"/admin/segments/{copy_id}/delete", {})
    site.form(f"/admin/segments/groups/{group}/delete", {})
    return {"community_segments.pages." + name for name in (
        "create_group", "rename_group", "save_segment", "preview", "update", "move",
        "duplicate", "delete", "delete_group")}


def exercise_demo_writes(site, ids) -> set[str]:
    audience = site.api("GET", f"/segments/{ids['segment_id']}")["count"]
    before = len(site.smtp.inbox.raw)
    site.form(f"/admin/campaigns/{ids['campaign_id']}/send", {})
    assert len(site.smtp.inbox.raw) - before == audience > 0
    site.form("/logout", {})
    assert site.admin.request("GET", "/admin/segments/").status == 302
    site.admin.log_in("admin", "admin")
    return {"campaigns.new", "campaigns.send", "logout", "login"}


def test_every_state_change_works_once_with_the_csrf_token(site, ids):
    done = exercise_api_writes(site) | exercise_page_writes(site) | exercise_demo_writes(site, ids)
    writes = {r["endpoint"] for r in site.probe["rules"]
              if set(r["methods"]) - {"GET"}}
    assert writes - done == set(), "add the new state-changing routes to this test"


def test_every_cli_command_of_the_console_script_runs(site, ids, tmp_path):
    members = tmp_path / "members.jsonl"
    members.write_text("\n".join(json.dumps({
        "username": f"imported{i}", "email": f"imported{i}@example.org", "country": "US",
        "primary_role": "Registered user", "groups": ["Champions"],
        "signed_up": "2026-01-02T03:04:05"}) for i in range(2)) + "\n")
    other_db = f"sqlite:///{tmp_path / 'other.sqlite'}"
    segment = str(ids["segment_id"])
    runs = {
        "import": (["import", str(members)], "Imported 2 members"),
        "segments fields": (["segments", "fields"], "country"),
        "segments list": (["segments", "list"], "Newcomers"),
        "segments count": (["segments", "count", "--criteria", json.dumps(US)], ""),
        "segments members": (["segments", "members", segment, "--format", "csv"], "username"),
        "segments create": (["segments", "create", "--title", "From the CLI",
                             "--criteria", json.dumps(US)], "Created segment"),
        "segments delete": (["segments", "delete", "From the CLI"], "Deleted segment"),
        "segments seed-defaults": (["segments", "seed-defaults"], "default segments created"),
        "campaigns send": (["campaigns", "send", str(ids["campaign_id"])], "sent"),
        "campaigns on-enter": (["campaigns", "on-enter", "--audience", f"segment:{segment}",
                                "--subject", "Welcome {{ name }}", "--body", "Hi {{ name }}"],
                               "sent to each member who enters"),
        "segments refresh": (["segments", "refresh"], "\t+"),
        "segments history": (["segments", "history", segment], "baseline"),
        "segments values": (["segments", "values", "country", "--limit", "3"], "\t"),
        "segments explain": (["segments", "explain", segment, str(ids["member_id"])], " is in "),
        "segments memberships": (["segments", "memberships", str(ids["member_id"])], ""),
        "demo": (["demo", "--no-serve", "--users", "5"], "Using"),
    }
    for command, (args, expected) in runs.items():
        result = site.cli(*args)
        assert result.returncode == 0, (command, result.stderr)
        assert expected in result.stdout, (command, result.stdout)
    # (the demo creates its tables whenever it starts, so upgrade finds them there again)
    for command, expected in (("current", "(up to date)"), ("downgrade", "-> none"),
                              ("upgrade", "tables upgraded: "), ("current", "(up to date)")):
        result = site.cli("segments", "db", command, database=other_db)
        assert result.returncode == 0 and expected in result.stdout, (command, result)
    runs.update({f"segments db {c}": None for c in ("current", "downgrade", "upgrade")})
    groups = {"segments", "segments db", "campaigns"}
    assert set(site.probe["commands"]) - groups - set(runs) == set(), "run the new commands here"
