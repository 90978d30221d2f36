"""Many admins at once: 50 concurrent overview requests against a lone one.

    python bench/concurrency.py --db postgresql --members 20000
    python bench/concurrency.py --db postgresql --members 20000 --server gunicorn --workers 2 --threads 25

The demo app is served in a process of its own on 127.0.0.1, on a port the system
picks, by werkzeug's threaded server (the default) or gunicorn (``pip install -e
'.[bench]'``), so the clients' own Python work does not share the server's interpreter
lock; an admin logs in through the login form and every request carries its session
cookie. The server's connection pool holds a connection for every client thread
(Flask-SQLAlchemy's default, 5 + 10 overflow, would queue 35 of 50 requests at
check-out whatever the plugin does: a host that serves 50 requests at once sizes its
pool for them). Timed: a lone ``GET /api/overview`` (median of 22, two before each
burst, so that a change in the machine's speed hits both sides of the ratio), and 50 at
once (p50, p95, errors), over 10 bursts after one that is not timed: the first burst
opens a pooled connection for each client (a server under steady load has them open),
which is start-up cost, not the cost of many admins at once. Identical evaluations in
flight share one query (single-flight, per process), and a request also takes the
answer of an evaluation that was in flight when it arrived, so the 50 should cost about
one. Counts are live (SEGMENTS_COUNTS_MAX_AGE 0). Results: bench/results/concurrency-<db>-<members>.json.
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

from bench.data import community_url  # noqa: E402
from bench.fuzz import Server  # noqa: E402
from bench.run import PG_URL, load, versions  # noqa: E402
from bench.segments import SEGMENTS  # noqa: E402

LONE_PER_BURST = 2  # lone requests timed before each burst


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
        db.engine.dispose()  # the server opens its own connections


def served_app(url: str, clients: int):
    """The demo on ``url`` as the benchmark serves it: its connection pool holds a
    connection for every client thread."""
    import logging

    from community_segments.demo.app import create_app
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no log line per request
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": clients + 5,
                                                     "max_overflow": 0}})


def serve(url: str, args) -> tuple[Callable[[], None], str]:
    """The demo on ``url`` in a server process of its own: gunicorn (``--workers`` x
    ``--threads``) or werkzeug's threaded server. Returns how to stop it, and its URL."""
    if args.server == "gunicorn":
        server = Server("gunicorn", url, args.workers, args.threads,
                        app=f"bench.concurrency:serving({url!r}, {args.threads})")
        return server.stop, f"http://127.0.0.1:{server.port}"
    child = subprocess.Popen([sys.executable, __file__, "--serve", url, "--clients",
                              str(args.clients)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    port = int(child.stdout.readline())
    return (lambda: (child.terminate(), child.wait())), f"http://127.0.0.1:{port}"


def serving(url: str, clients: int):
    """:func:`served_app` ready to serve, as ``community-segments demo`` serves it (the
    start-up heap frozen out of the collector's full passes: ``demo.app.settle``)."""
    from community_segments.demo.app import settle
    app = served_app(url, clients)
    settle()
    return app


def _serve_forever(url: str, clients: int) -> None:
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, serving(url, clients), threaded=True)
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
    parser.add_argument("--bursts", type=int, default=10,
                        help="bursts timed, after one that warms the connection pool up")
    parser.add_argument("--server", choices=("werkzeug", "gunicorn"), default="werkzeug")
    parser.add_argument("--workers", type=int, default=1,
                        help="gunicorn worker processes (each has its own single-flight)")
    parser.add_argument("--threads", type=int, default=50, help="threads per gunicorn worker")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args(argv)
    if args.serve:
        return _serve_forever(args.serve, args.clients)
    url = community_url(args.db, args.members, args.seed, args.pg_url)
    prepare(served_app(url, 1))
    stop, base = serve(url, args)
    try:
        record = measure(base, args)
    finally:
        stop()
    server = (f"gunicorn {args.workers} x {args.threads} threads" if args.server == "gunicorn"
              else f"werkzeug threaded ({args.clients} threads)")
    record.update({"db": args.db, "members": args.members, "server": server,
                   "versions": versions(url)})
    (HERE / "results" / f"concurrency-{args.db}-{args.members}.json").write_text(
        json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


def measure(base: str, args) -> dict:
    """Lone requests and bursts interleaved (a few lone ones before each burst), so that
    a change in the machine's speed during the run hits both sides of the ratio alike."""
    opener = logged_in(base)
    overview = base + "/admin/segments/api/overview"
    timed_get(opener, overview)  # warm-up
    lone, bursts = [], []
    with ThreadPoolExecutor(args.clients) as pool:
        for n in range(args.bursts + 1):
            for _ in range(LONE_PER_BURST):
                time.sleep(0.2)  # the last burst's answer is not shared with it
                lone.append(timed_get(opener, overview))
            time.sleep(0.5)
            burst = list(pool.map(lambda _: timed_get(opener, overview), range(args.clients)))
            if n:  # the first burst warms the pool up: it opens a connection per client
                bursts.append(burst)
    every = sorted(s for burst in bursts for s, _ in burst)
    lone_median = statistics.median(s for s, _ in lone)
    p95 = _p95(every)
    return {"clients": args.clients, "bursts": args.bursts,
            "when": datetime.now(UTC).isoformat(timespec="seconds"), "load": load(),
            "lone median": lone_median, "lone requests": len(lone),
            "p50": statistics.median(every), "p95": p95, "p95 / lone": p95 / lone_median,
            "burst p95s": [round(_p95(sorted(s for s, _ in b)), 3) for b in bursts],
            "errors": sum(not ok for _, ok in lone + [r for burst in bursts for r in burst]),
            "warm-up bursts": 1}


def _p95(times: list[float]) -> float:
    return times[max(0, round(0.95 * len(times)) - 1)]


if __name__ == "__main__":
    main()
