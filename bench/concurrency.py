"""Many admins at once: 50 concurrent overview requests against a lone one.

    python bench/concurrency.py --db postgresql --members 20000

The demo app is served in a process of its own by a real threaded WSGI server
(werkzeug) on 127.0.0.1, on a port the system picks, so the clients' own Python work
does not share the server's interpreter lock; an admin logs in through the login form
and every request carries its session cookie. The server's connection pool holds as many
connections as there are clients (Flask-SQLAlchemy's default, 5 + 10 overflow, would
queue 35 of 50 requests at check-out whatever the plugin does: a host that serves 50
requests at once sizes its pool for them). Timed: a lone ``GET /api/overview`` (median of
5), then 50 at once (p50, p95, errors), over several bursts. Identical evaluations in
flight share one query (single-flight), and a request also takes an answer that was asked
of the database after it arrived, so the 50 should cost about one. Counts are live
(SEGMENTS_COUNTS_MAX_AGE 0). Results: bench/results/concurrency-<db>-<members>.json.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

from bench.data import community_url  # noqa: E402
from bench.run import PG_URL, load, versions  # noqa: E402
from bench.segments import SEGMENTS  # noqa: E402


def prepare(app) -> None:
    """The benchmark's 24 segments and the demo admin, once per community."""
    from community_segments.demo.models import db
    from community_segments.demo.seed import ensure_admin
    from community_segments.extension import get_state
    with app.app_context():
        service = get_state(app).service()
        have = {s.title for s in service.list_segments()}
        for title, criteria in SEGMENTS:
            if title not in have:
                service.create(title, criteria)
        ensure_admin(db.session)
        db.session.commit()


def serve(url: str, clients: int) -> tuple[subprocess.Popen, str]:
    """The demo on ``url`` in a server process of its own; returns it and its base URL."""
    child = subprocess.Popen([sys.executable, __file__, "--serve", url, "--clients", str(clients)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    port = int(child.stdout.readline())
    return child, f"http://127.0.0.1:{port}"


def _serve_forever(url: str, clients: int) -> None:
    import logging

    from werkzeug.serving import make_server

    from community_segments.demo.app import create_app
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no log line per request
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": clients + 5, "max_overflow": 0}})
    prepare(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


def logged_in(base: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"username": "admin", "password": "admin",
                                   "csrf_token": token}).encode()
    opener.open(base + "/login", form)
    return opener


def timed_get(opener, url: str) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        with opener.open(url, timeout=300) as response:
            ok = response.status == 200 and "segments" in json.loads(response.read())
    except Exception:
        ok = False
    return time.perf_counter() - started, ok


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args(argv)
    if args.serve:
        return _serve_forever(args.serve, args.clients)
    url = community_url(args.db, args.members, args.seed, args.pg_url)
    child, base = serve(url, args.clients)
    try:
        record = measure(base, args)
    finally:
        child.terminate()
        child.wait()
    record.update({"db": args.db, "members": args.members, "versions": versions(url)})
    (HERE / "results" / f"concurrency-{args.db}-{args.members}.json").write_text(
        json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


def measure(base: str, args) -> dict:
    opener = logged_in(base)
    overview = base + "/admin/segments/api/overview"
    timed_get(opener, overview)  # warm-up
    lone = [timed_get(opener, overview) for _ in range(5)]
    bursts = []
    with ThreadPoolExecutor(args.clients) as pool:
        for _ in range(args.bursts):
            bursts.append(list(pool.map(lambda _: timed_get(opener, overview),
                                        range(args.clients))))
            time.sleep(0.5)
    every = sorted(s for burst in bursts for s, _ in burst)
    lone_median = statistics.median(s for s, _ in lone)
    p95 = every[max(0, round(0.95 * len(every)) - 1)]
    return {"clients": args.clients, "bursts": args.bursts,
            "when": datetime.now(UTC).isoformat(timespec="seconds"), "load": load(),
            "lone median": lone_median, "p50": statistics.median(every), "p95": p95,
            "p95 / lone": p95 / lone_median,
            "errors": sum(not ok for _, ok in lone + [r for burst in bursts for r in burst])}


if __name__ == "__main__":
    main()
