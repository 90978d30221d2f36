"""The membership refresh against one overview evaluation, on a benchmark community.

    python bench/refresh.py --db sqlite --members 100000
    python bench/refresh.py --db postgresql --members 1000000 --seed 42

Saves the 24 benchmark segments (bench/segments.py) if missing, runs a baseline refresh,
then times refreshes (compare + store, nothing changed) and one-pass overviews in
interleaved rounds. In a fresh process: peak Python allocations (tracemalloc) and peak
RSS growth of one refresh. Then the stored size of the largest membership. The figures
join bench/results/<db>-<members>.json under "refresh"; ``bench/run.py --report`` shows them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

import sqlalchemy as sa  # noqa: E402

from bench.data import community_parser, community_url  # noqa: E402
from bench.run import PG_URL, RESULTS, _status, load, open_app, side_by_side  # noqa: E402
from bench.segments import SEGMENTS  # noqa: E402


def prepare(url: str) -> None:
    """Our newest tables, and the 24 segments saved (a refresh refreshes saved segments)."""
    from community_segments import migrate
    from community_segments.extension import get_state
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    engine.dispose()
    app = open_app(url)
    with app.app_context():
        service = get_state(app).service()
        titles = {s.title for s in service.list_segments()}
        for title, criteria in SEGMENTS:
            if title not in titles:
                service.create(title, criteria)


def timings(url: str, repeat: int) -> dict:
    from community_segments.extension import get_state
    from community_segments.history.app import refresh_app
    app = open_app(url)
    with app.app_context():
        service = get_state(app).service()
        trees = [service.parse(s.criteria) for s in service.list_segments()]
        refresh_app(app)  # a baseline first: the timed ones compare and store
        times = side_by_side({"refresh (ours)": lambda: refresh_app(app),
                              "overview (ours)": lambda: service.evaluator.counts(trees)}, repeat)
        times["segments"] = len(trees)
        return times


def probe(url: str) -> dict:
    """One refresh in this fresh process: peak Python allocations and RSS growth."""
    from community_segments.history.app import refresh_app
    app = open_app(url)
    with app.app_context():
        before = _status("VmRSS")
        tracemalloc.start()
        refresh_app(app)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"tracemalloc_peak_mb": peak / 2**20,
                "peak_rss_growth_mb": (_status("VmHWM") - before) / 1024}


def stored(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(sa.text(
            "SELECT count, length(members) AS size FROM cs_membership "
            "ORDER BY count DESC LIMIT 1")).one()
        total = connection.scalar(sa.text("SELECT sum(length(members)) FROM cs_membership"))
    engine.dispose()
    return {"largest_segment_members": row.count, "largest_segment_bytes": row.size,
            "all_segments_bytes": int(total)}


def main(argv=None) -> None:
    parser = community_parser(__doc__)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", PG_URL))
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = community_url(args.db, args.members, args.seed, args.pg_url)
    if args.probe:
        print(json.dumps(probe(url)))
        return
    prepare(url)
    row = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "load_before": load(),
           "command": "python bench/refresh.py " + " ".join(argv or sys.argv[1:]),
           "repeat": args.repeat, "times": timings(url, args.repeat)}
    output = subprocess.run([sys.executable, __file__, *(argv or sys.argv[1:]), "--probe"],
                            check=True, capture_output=True, text=True).stdout
    row["memory"] = json.loads(output.splitlines()[-1])
    row["stored"] = stored(url)
    row["load_after"] = load()
    path = RESULTS / f"{args.db}-{args.members}.json"
    record = json.loads(path.read_text()) if path.exists() else {}
    record["refresh"] = row
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
