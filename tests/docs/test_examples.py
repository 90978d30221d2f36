"""Every fenced code block of README.md and docs/*.md runs, or says why not (issue 11).

The comment line right before a block decides:
- ``<!-- not run: REASON -->``: skipped, for a reason the reader sees;
- ``<!-- file: NAME -->``: written to NAME in a scratch folder (the README's host app and
  its plugin), before the other blocks of that document run;
- ``<!-- run: served demo -->``: a shell block run with ``$BASE`` the address of a demo
  served by ``community-segments demo`` on loopback.
Unmarked ``python`` blocks run as scripts in the scratch folder, ``bash`` blocks line by
line there (``flask`` and ``community-segments`` from this venv; ``DATABASE_URL`` a seeded
demo), ``json`` blocks parse (criteria are validated against the demo's fields) and
``toml`` blocks parse. Any other unmarked block fails the test: mark it or make it run.
docs/FLASKBB.md needs a FlaskBB install: its blocks marked ``<!-- docs-test: STEP -->``
are run by tests/flaskbb; here its Python is compiled and its JSON/TOML parsed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..wheel.installed import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^(?:<!-- (?P<marker>.*?) -->\n)?```(?P<lang>[\w-]*)\n(?P<code>.*?)^```",
                   re.S | re.M)
NEEDS_FLASKBB = {"FLASKBB.md"}
RUNNABLE = {"python", "bash", "sh", "json", "toml"}


@dataclass(frozen=True)
class Block:
    document: Path
    line: int
    lang: str
    code: str
    marker: str

    def __str__(self) -> str:
        return f"{self.document.name}:{self.line} ({self.lang or 'no language'})"

    @property
    def skipped(self) -> bool:
        return self.marker.startswith("not run:")

    @property
    def file(self) -> str | None:
        return self.marker.removeprefix("file:").strip() if self.marker.startswith("file:") else None

    @property
    def lenient(self) -> bool:
        return self.document.name in NEEDS_FLASKBB


def blocks(document: Path) -> list[Block]:
    text = document.read_text()
    return [Block(document, text.count("\n", 0, m.start("code")), m.group("lang"),
                  m.group("code"), (m.group("marker") or "").strip())
            for m in FENCE.finditer(text)]


ALL = [block for document in DOCUMENTS for block in blocks(document)]


def test_every_block_runs_or_says_why_not():
    assert len(ALL) >= 10
    unmarked = [str(b) for b in ALL if not b.marker and not b.lenient and b.lang not in RUNNABLE]
    assert unmarked == [], "mark these <!-- not run: why --> or make them run"
    reasonless = [str(b) for b in ALL if b.skipped and not b.marker.removeprefix("not run:").strip()]
    assert reasonless == []
    unknown = [str(b) for b in ALL if b.marker and not (
        b.skipped or b.file or b.marker == "run: served demo"
        or (b.lenient and b.marker.startswith("docs-test:")))]
    assert unknown == []


@pytest.mark.parametrize("block", [b for b in ALL if b.lang in ("json", "toml") and not b.skipped],
                         ids=str)
def test_json_and_toml_blocks_parse_and_criteria_validate(block):
    if block.lang == "toml":
        tomllib.loads(block.code)
        return
    data = json.loads(block.code)
    if isinstance(data, dict) and ("rules" in data or "match" in data):
        from community_segments.demo.app import create_app
        from community_segments.extension import get_state
        from community_segments.query.parse import parse_criteria
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
        parse_criteria(data, get_state(app).registry)


@pytest.mark.parametrize("block", [b for b in ALL if b.lenient and b.lang == "python"], ids=str)
def test_flaskbb_python_blocks_compile(block):
    compile(block.code, str(block), "exec")


# -- running the documents ----------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> dict:
    """A scratch folder, an environment with this venv first on PATH and a seeded demo."""
    folder = tmp_path_factory.mktemp("docs")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", SECRET_KEY="docs",
               DATABASE_URL=f"sqlite:///{folder / 'demo.sqlite'}")
    subprocess.run([str(BIN / "community-segments"), "demo", "--no-serve", "--users", "80",
                    "--seed", "2"], cwd=folder, env=env, check=True, capture_output=True)
    return {"folder": folder, "env": env}


@pytest.fixture(scope="module")
def served_demo(scratch):
    port = free_port()
    server = subprocess.Popen([str(BIN / "community-segments"), "demo", "--port", str(port)],
                              cwd=scratch["folder"], env=scratch["env"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def run(block: Block, scratch: dict, **env: str) -> subprocess.CompletedProcess:
    folder, env = scratch["folder"], {**scratch["env"], **env}
    if block.lang == "python":
        script = folder / f"_{block.document.stem}_{block.line}.py"
        script.write_text(block.code)
        command = [sys.executable, str(script)]
    else:
        command = ["bash", "-e", "-o", "pipefail", "-c", block.code]
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, f"{block} failed:\n{result.stdout}\n{result.stderr}"
    return result


def run_document(document: Path, scratch: dict, base: str | None = None) -> None:
    found = blocks(document)
    for block in found:
        if block.file:
            path = scratch["folder"] / block.file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.code)
    for block in found:
        if block.skipped or block.file or block.lenient or block.lang not in (
                "python", "bash", "sh"):
            continue
        if block.marker == "run: served demo":
            run(block, scratch, BASE=base)
        else:
            run(block, scratch)


@pytest.fixture(scope="module")
def readme(scratch):
    run_document(ROOT / "README.md", scratch)
    return scratch


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if d.name != "README.md"],
                         ids=lambda d: d.name)
def test_the_blocks_of_each_document_run(document, scratch, request):
    needs_server = any(b.marker == "run: served demo" for b in blocks(document))
    base = request.getfixturevalue("served_demo") if needs_server else None
    run_document(document, scratch, base)


#: run in the README's scratch folder, after its blocks: real tags, real counts
TAG_COUNTS = r"""
import random
import sqlalchemy as sa
from app import app, db, User, tags, user_tags
from community_segments import get_state

NAMES = ["python", "flask", "sql", "rust", "go"]
rng = random.Random(5)
truth = {}
with app.app_context():
    db.session.execute(sa.insert(tags), [{"id": i, "name": n} for i, n in enumerate(NAMES, 1)])
    for uid in range(1, 151):
        db.session.add(User(id=uid, username=f"u{uid}", email=f"u{uid}@example.org",
                            is_admin=uid == 1))
        truth[uid] = set(rng.sample(NAMES, rng.randint(0, 3)))
    db.session.flush()
    db.session.execute(sa.insert(user_tags), [{"user_id": u, "tag_id": NAMES.index(t) + 1}
                                              for u, mine in truth.items() for t in mine])
    db.session.commit()
    service = get_state(app).service()
    for values in (["python"], ["python", "rust"], ["sql", "go", "flask"]):
        wanted = set(values)
        expected = {"has_any": sum(1 for t in truth.values() if t & wanted),
                    "has_all": sum(1 for t in truth.values() if wanted <= t),
                    "has_none": sum(1 for t in truth.values() if not t & wanted)}
        for op, count in expected.items():
            got = service.count({"rules": [{"field": "tags", "op": op, "value": values}]})
            assert got == count, (op, values, got, count)
            print(op, values, got)
client = app.test_client()
page = client.get("/admin/segments/")
assert page.status_code == 302 and page.headers["Location"].startswith("/login"), page.status
api = client.get("/admin/segments/api/segments")
assert api.status_code == 403 and api.get_json() == {"message": "Admin permission required."}
print("anonymous ok")
"""


def test_the_readme_host_counts_multi_values_right_and_sends_anonymous_users_to_log_in(readme):
    result = subprocess.run([sys.executable, "-c", TAG_COUNTS], cwd=readme["folder"],
                            env=readme["env"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith("has_")]) == 9
    assert lines[-1] == "anonymous ok"


def test_the_readme_commands_ran_against_the_demo(readme):
    listed = subprocess.run([str(BIN / "community-segments"), "segments", "list"],
                            cwd=readme["folder"], env=readme["env"], capture_output=True,
                            text=True, check=True).stdout
    assert "US members" in listed
