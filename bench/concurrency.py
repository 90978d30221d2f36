"""Many admins at once: 50 concurrent overview requests against a lone one.

    python bench/concurrency.py --db postgresql --members 20000

The demo app is served by a real threaded WSGI server (werkzeug) on 127.0.0.1, on a port
the system picks; an admin logs in through the login form and every request carries its
session cookie. Timed: a lone ``GET /api/overview`` (median of 5), then 50 at once
(p50, p95, errors). Identical evaluations in flight share one query (single-flight),
so the 50 should cost about one. Counts are live (SEGMENTS_COUNTS_MAX_AGE 0).
Results: bench/results/concurrency-<db>-<members>.json.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

from bench.data import community_url  # noqa: E402
from bench.run import PG_URL, load, open_app, versions  # noqa: E402
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


def serve(app):
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


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
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)
    url = community_url(args.db, args.members, args.seed, args.pg_url)
    app = open_app(url)
    prepare(app)
    server, base = serve(app)
    opener = logged_in(base)
    overview = base + "/admin/segments/api/overview"
    lone = [timed_get(opener, overview) for _ in range(5)]
    with ThreadPoolExecutor(args.clients) as pool:
        burst = list(pool.map(lambda _: timed_get(opener, overview), range(args.clients)))
    server.shutdown()
    seconds = sorted(s for s, _ in burst)
    lone_median = statistics.median(s for s, _ in lone)
    p95 = seconds[max(0, round(0.95 * len(seconds)) - 1)]
    record = {"db": args.db, "members": args.members, "clients": args.clients,
              "when": datetime.now(UTC).isoformat(timespec="seconds"), "load": load(),
              "versions": versions(url), "lone median": lone_median,
              "p50": statistics.median(seconds), "p95": p95,
              "p95 / lone": p95 / lone_median,
              "errors": sum(not ok for _, ok in burst + lone)}
    (HERE / "results" / f"concurrency-{args.db}-{args.members}.json").write_text(
        json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
