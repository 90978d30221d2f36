"""Fuzz the demo as an attacker would: a real WSGI server on loopback, N hostile requests.

    python bench/fuzz.py --db sqlite
    python bench/fuzz.py --db postgresql --requests 10000 --server gunicorn
    python bench/fuzz.py --db mariadb --markdown      # a block for docs/HARDENING.md

Seeds a demo community in a private database, serves it (gunicorn, 2 workers x 8
threads, from the ``bench`` extra; or werkzeug's threaded server), and sends requests
drawn by :mod:`bench.fuzzing` from several threads: mostly as the admin, some as a
member who is not an admin and some anonymously. After every write the admin got
accepted, the overview, the API list and the campaign audience list must still answer
200. Prints the status histogram, every 5xx with its request, every non-admin request
that was accepted, and exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

import sqlalchemy as sa  # noqa: E402

from bench.fuzzing import SENTINELS, Call, Fuzzer  # noqa: E402

SERVERS = {"postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
           "mariadb": "mysql+pymysql://root@127.0.0.1:3306/mysql?charset=utf8mb4"}
ROLES = (("admin", 0.9), ("member", 0.05), ("anonymous", 0.05))
URL_SAFE = "/?&=%:+,;@-._~!$'()*"


# -- the database and the server ------------------------------------------------------

def create_database(kind: str, server_url: str | None) -> tuple[str, callable]:
    """A private database for this run and a function that drops it."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="cs-fuzz-")
        return f"sqlite:///{folder}/fuzz.sqlite", lambda: None
    base = sa.make_url(server_url or SERVERS[kind])
    name = f"cs_fuzz_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))

    def drop():
        with engine.connect() as connection:
            if kind == "postgresql":
                connection.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False), drop


def seed(url: str, members: int) -> None:
    from community_segments.demo.app import create_app
    from community_segments.demo.models import Member, db
    from community_segments.demo.seed import ensure_admin, seed_database
    from community_segments.extension import get_state

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "seed"})
    with app.app_context():
        seed_database(db.session, members, seed=7)
        ensure_admin(db.session)
        member = Member(username="mallory", email="mallory@example.org",
                        primary_role="Registered user")
        member.set_password("mallory")
        db.session.add(member)
        db.session.commit()
        get_state(app).service().seed_defaults()
        db.session.remove()
        db.engine.dispose()


class Server:
    """The demo app in a child process on 127.0.0.1 and a free port; its log is kept."""

    def __init__(self, kind: str, url: str, workers: int, threads: int,
                 app: str = "community_segments.demo:create_app()"):
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16),
               "PYTHONPATH": os.pathsep.join((str(HERE.parent / "src"), str(HERE.parent)))}
        if kind == "gunicorn":  # ``app``: gunicorn's "module:factory(args)"
            command = [sys.executable, "-m", "gunicorn", "-b", "127.0.0.1:0", "-w", str(workers),
                       "--threads", str(threads), "--log-level", "info", app]
        else:
            command = [sys.executable, "-c", WERKZEUG]
        self.process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True,
                                        errors="replace")
        self.log: list[str] = []
        self.port = self._wait_for_port()
        threading.Thread(target=self._drain, daemon=True).start()

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log.append(line)
            found = re.search(r"(?:Listening at: http://127\.0\.0\.1:|PORT )(\d+)", line)
            if found:
                return int(found.group(1))
        self.stop()
        raise SystemExit("the server did not start:\n" + "".join(self.log[-30:]))

    def _drain(self) -> None:
        for line in self.process.stderr:
            self.log.append(line)

    def errors(self) -> list[str]:
        """Each traceback in the server log as its first line (the logger's message,
        when there is one) and its last (the exception)."""
        found, lines = [], [line.rstrip() for line in self.log]
        for i, line in enumerate(lines):
            if "Traceback" not in line and "Error handling request" not in line:
                continue
            end = next((j for j in range(i + 1, len(lines))
                        if lines[j] and not lines[j][0].isspace()), i)
            before = lines[i - 1] if "Traceback" in line and i else ""
            found.append(" / ".join(filter(None, (before, line, lines[end] if end > i else ""))))
        return found

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


WERKZEUG = """
import sys
from werkzeug.serving import make_server
from community_segments.demo import create_app
server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print("PORT", server.server_port, file=sys.stderr, flush=True)
server.serve_forever()
"""


# -- the client -----------------------------------------------------------------------

class Browser:
    """One user's cookies and CSRF token over a keep-alive connection."""

    def __init__(self, port: int, username: str | None):
        self.port, self.cookies, self.token = port, {}, ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.refresh_token()
        if username:
            response = self.send(Call("POST", "/login", form={"username": username,
                                                              "password": username}))
            assert response[0] == 302, f"login as {username} failed: {response}"
            self.refresh_token()

    def refresh_token(self) -> None:
        _status, body = self.send(Call("GET", "/login"))
        found = re.search(r'name="csrf_token" value="([^"]+)"', body)
        self.token = found.group(1) if found else ""

    def send(self, call: Call) -> tuple[int, str]:
        headers = dict(call.headers)
        data = None
        if call.body is not None:
            data = call.body.encode("utf-8", "surrogatepass")
            headers["Content-Type"] = "application/json"
        elif call.form is not None:
            form = {**call.form, **({"csrf_token": self.token} if call.csrf else {})}
            data = urlencode(form, errors="surrogatepass").encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if call.csrf and self.token:
            headers["X-CSRFToken"] = self.token
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        path = quote(call.path, safe=URL_SAFE, errors="surrogatepass")
        for attempt in (1, 2):
            try:
                self.connection.request(call.method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                body = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    return 0, "connection failed"
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, body


# -- the run --------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.server_errors: list[str] = []
        self.accepted_for_non_admins: list[str] = []
        self.broken_after_write: list[str] = []
        self.requests = 0
        self.fuzzed = 0
        self.stopped_early = False

    def add(self, role: str, call: Call, status: int, body: str) -> None:
        with self.lock:
            self.requests += 1
            self.fuzzed += not call.sentinel
            self.statuses[(role, status)] += 1
            if status >= 500 or status == 0:
                self.server_errors.append(f"[{role}] {call} -> {status}: {body[:200]!r}")
            elif role != "admin" and call.path.startswith("/admin/") and status < 300:
                self.accepted_for_non_admins.append(f"[{role}] {call} -> {status}")


def worker(port: int, seed_value: int, count: int, tally: Tally, deadline: float) -> None:
    rng = random.Random(seed_value)
    browsers = {"admin": Browser(port, "admin"), "member": Browser(port, "mallory"),
                "anonymous": Browser(port, None)}
    fuzzer = Fuzzer(rng, ids=range(1, 60))
    roles, weights = zip(*ROLES, strict=True)
    for _ in range(count):
        if time.monotonic() > deadline:
            tally.stopped_early = True
            return
        role = rng.choices(roles, weights)[0]
        call = fuzzer.call()
        status, body = browsers[role].send(call)
        tally.add(role, call, status, body)
        if role == "admin" and call.write and 200 <= status < 400:
            for path in SENTINELS:
                check = Call("GET", path, sentinel=True)
                after, text = browsers["admin"].send(check)
                tally.add("admin", check, after, text)
                if after != 200:
                    tally.broken_after_write.append(f"{path} -> {after} after {call}")


def run(args) -> int:
    url, drop = create_database(args.db, args.url)
    server = None
    try:
        started = time.monotonic()
        seed(url, args.members)
        server = Server(args.server, url, args.workers, args.threads)
        tally = Tally()
        share = -(-args.requests // args.concurrency)
        deadline = time.monotonic() + args.max_seconds
        with ThreadPoolExecutor(args.concurrency) as pool:
            jobs = [pool.submit(worker, server.port, args.seed * 1000 + n, share, tally, deadline)
                    for n in range(args.concurrency)]
            for job in jobs:
                job.result()
        seconds = time.monotonic() - started
        report(args, tally, server.errors(), seconds)
        failed = (tally.server_errors or tally.accepted_for_non_admins
                  or tally.broken_after_write)
        return 1 if failed else 0
    finally:
        if server:
            server.stop()
        drop()


def report(args, tally: Tally, log_errors: list[str], seconds: float) -> None:
    fence = "```" if args.markdown else ""
    server = (f"gunicorn {args.workers} workers x {args.threads} threads"
              if args.server == "gunicorn" else "werkzeug threaded")
    stopped = f" (stopped by --max-seconds {args.max_seconds:g})" if tally.stopped_early else ""
    print(f"{fence}\n{args.db}: {tally.requests} requests ({tally.fuzzed} fuzzed{stopped} + "
          f"sentinel checks), seed {args.seed}, {server}, {args.concurrency} client threads, "
          f"{seconds:.0f} s")
    for role in ("admin", "member", "anonymous"):
        row = {status: n for (r, status), n in sorted(tally.statuses.items()) if r == role}
        print(f"  {role:<9} " + "  ".join(f"{status}: {n}" for status, n in row.items()))
    print(f"  server errors (5xx or dropped): {len(tally.server_errors)}; accepted for "
          f"non-admins: {len(tally.accepted_for_non_admins)}; pages broken after a write: "
          f"{len(tally.broken_after_write)}; tracebacks in the server log: {len(log_errors)}")
    print(fence)
    for line in tally.server_errors + tally.accepted_for_non_admins + tally.broken_after_write:
        print("  " + line)
    for line in log_errors[:20]:
        print("  log: " + line)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "mariadb"], default="sqlite")
    parser.add_argument("--url", help="server URL for postgresql/mariadb (a database is made)")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--server", choices=["gunicorn", "werkzeug"], default="gunicorn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--max-seconds", type=float, default=float("inf"),
                        help="stop sending after this long and report what was sent")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if args.server == "gunicorn":
        try:
            import gunicorn  # noqa: F401
        except ImportError:
            print("gunicorn is not installed (pip install -e '.[bench]'); using werkzeug")
            args.server = "werkzeug"
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
