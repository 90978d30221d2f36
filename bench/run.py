"""Benchmark the segment engine on a generated community, side by side, as ratios.

    python bench/run.py --members 100000 --db sqlite
    python bench/run.py --members 1000000 --db postgresql --pg-url postgresql+psycopg://postgres@127.0.0.1/postgres
    python bench/run.py --report          # docs/BENCHMARKS.md from bench/results/*.json

The community is generated once per (members, seed, database) and cached (bench/data.py).
Results go to bench/results/<db>-<members>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

from bench.data import community_parser, community_url  # noqa: E402
from bench.floor import floor_query  # noqa: E402
from bench.segments import SEGMENTS  # noqa: E402

RESULTS = HERE / "results"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DETAIL = ("Regulars", "Champions", "Not in a group")
LIVE = "Customer Success users"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def side_by_side(candidates: dict, repeat: int) -> dict[str, float]:
    """Median seconds of each candidate, run in interleaved rounds so load hits all alike."""
    runs = {name: [] for name in candidates}
    for _ in range(repeat):
        for name, fn in candidates.items():
            runs[name].append(timed(fn))
    return {name: statistics.median(values) for name, values in runs.items()}


def record_for(script: str, args, url: str, argv) -> dict:
    """The head of a benchmark's JSON record: what ran, where, when and under what load."""
    return {"db": args.db, "members": args.members, "seed": args.seed, "repeat": args.repeat,
            "when": datetime.now(UTC).isoformat(timespec="seconds"), "load_before": load(),
            "command": f"python bench/{script} " + " ".join(argv or sys.argv[1:]),
            "versions": versions(url)}


def open_app(url: str):
    from community_segments.demo.app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})


def service_for(app, now):
    from community_segments.extension import get_state
    service = get_state(app).service()
    service.evaluator.now = now
    service.evaluator.timeout_ms = None  # measured, not refused: the 30 s is for requests
    return service


def measure(url: str, args) -> dict:
    app, now = open_app(url), datetime.now(UTC)
    with app.app_context():
        service = service_for(app, now)
        evaluator = service.evaluator
        trees = [service.parse(criteria) for _, criteria in SEGMENTS]
        floor = floor_query([c for _, c in SEGMENTS], now, service.session.get_bind().dialect.name)
        counts = evaluator.counts(trees)  # warm-up, and the check below
        assert counts == [evaluator.count(t) for t in trees], "fast counts differ from simple ones"
        assert counts == list(service.session.execute(floor).one()), "the floor counts differ"
        from community_segments.query import overview
        atoms = overview.Atoms(service.registry)
        for tree in trees:
            atoms.formula(tree)
        result = {"distinct_conditions": len(atoms), "segments": len(trees)}
        result["overview"] = side_by_side({
            "one pass (ours)": lambda: evaluator.counts(trees),
            "one query per segment": lambda: [evaluator.count(t) for t in trees],
            "floor: one hand-written scan": lambda: service.session.execute(floor).one(),
        }, args.repeat)
        result["overlap"] = overlap(service, trees, args)
        result["detail"] = detail(service, args.repeat)
        result["live_count"] = side_by_side({LIVE: lambda: service.count(dict(SEGMENTS)[LIVE])},
                                            args.repeat)
    return result


def overlap(service, trees, args) -> dict:
    from community_segments.query.tree import Group
    evaluator = service.evaluator
    pairs = [(i, j) for i in range(len(trees)) for j in range(i + 1, len(trees))]
    sample = pairs if args.members <= 100_000 else pairs[::len(pairs) // args.pair_sample]
    times = side_by_side({
        "matrix (ours)": lambda: evaluator.overlap(trees),
        "overview (ours)": lambda: evaluator.counts(trees),
        "sizes": lambda: [evaluator.count(t) for t in trees],
        "pairs": lambda: [evaluator.count(Group("all", (trees[i], trees[j]))) for i, j in sample],
    }, args.repeat)
    per_pair = times.pop("pairs") / len(sample)
    times["one query per pair"] = times.pop("sizes") + per_pair * len(pairs)
    times["pairs measured"] = len(sample)
    return times


def detail(service, repeat: int) -> dict:
    """The detail page's first page of 50 by last activity (shown without the count), the
    count the page's script then asks for, and a deep page by its keyset cursor."""
    criteria = dict(SEGMENTS)
    paging = {"per_page": 50, "sort": "last_activity", "direction": "desc"}

    def deep(title: str):  # the page after the 200th: walk there by cursor once, untimed
        page = service.members(criteria[title], page=200, count=False, **paging)
        return page.next_after

    def one_order_by(title: str):  # the read before: one ORDER BY, empty values last
        evaluator, column = service.evaluator, service.evaluator.view.columns["last_activity"]
        query = (evaluator._select().where(evaluator.condition(service.parse(criteria[title])))
                 .order_by(column.is_(None), column.desc(), evaluator.view.id.desc()).limit(51))
        return evaluator._tuned(lambda: evaluator._rows(query))

    cursors = {title: deep(title) for title in DETAIL}
    timed = {}
    for title in DETAIL:
        first = service.members(criteria[title], page=1, count=False, **paging).items
        assert [m["id"] for m in first] == [m["id"] for m in one_order_by(title)[:50]]
        timed[f"{title}: first page"] = lambda t=title: service.members(
            criteria[t], page=1, count=False, **paging)
        timed[f"{title}: first page in one ORDER BY"] = lambda t=title: one_order_by(t)
        timed[f"{title}: count"] = lambda t=title: service.count(criteria[t])
        timed[f"{title}: page 201 by cursor"] = lambda t=title: service.members(
            criteria[t], after=cursors[t], count=False, **paging)
    return side_by_side(timed, repeat)


def probe(url: str, kind: str) -> dict:
    """Stream every member (CSV export, or campaign recipients) in this fresh process."""
    import csv
    app = open_app(url)
    with app.app_context():
        service = service_for(app, datetime.now(UTC))
        everyone = {"match": "all", "rules": []}
        columns = ["id", "username", "email"] if kind == "recipients" else None
        next(iter(service.stream_members(everyone, columns=columns)))
        before = _status("VmRSS")
        started, rows = time.perf_counter(), 0
        sink = csv.writer(open(os.devnull, "w"))  # noqa: SIM115
        for member in service.stream_members(everyone, batch_size=1000, columns=columns):
            rows += 1
            if kind == "export":
                sink.writerow(member.values())
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "rows": rows,
                "peak_growth_mb": (_status("VmHWM") - before) / 1024}


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def streams(args) -> dict:
    found = {}
    for kind in ("export", "recipients"):
        output = subprocess.run(
            [sys.executable, __file__, "--db", args.db, "--members", str(args.members),
             "--seed", str(args.seed), "--pg-url", args.pg_url, "--probe", kind],
            check=True, capture_output=True, text=True).stdout
        found[kind] = json.loads(output.splitlines()[-1])
    return found


def versions(url: str) -> dict:
    import platform
    import sqlite3

    import sqlalchemy as sa
    found = {"python": platform.python_version(), "sqlalchemy": sa.__version__,
             "cpus": os.cpu_count(), "machine": platform.platform()}
    if url.startswith("sqlite"):
        found["database"] = f"SQLite {sqlite3.sqlite_version}"
    else:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            found["database"] = connection.scalar(sa.text("SELECT version()")).split(" on ")[0]
            found["work_mem"] = connection.scalar(sa.text("SHOW work_mem"))
        engine.dispose()
    return found


def main(argv=None) -> None:
    parser = community_parser(__doc__)
    parser.add_argument("--pair-sample", type=int, default=12,
                        help="pairs timed one by one above 100k members (the rest estimated)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", PG_URL))
    parser.add_argument("--skip-streams", action="store_true")
    parser.add_argument("--only-detail", action="store_true",
                        help="time the detail page's paths only (added to the last record)")
    parser.add_argument("--probe", choices=("export", "recipients"), help=argparse.SUPPRESS)
    parser.add_argument("--report", action="store_true", help="write docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.report:
        from bench.report import write_report
        print(write_report(RESULTS))
        return
    url = community_url(args.db, args.members, args.seed, args.pg_url)
    if args.probe:
        print(json.dumps(probe(url, args.probe)))
        return
    if args.only_detail:
        return _detail_only(url, args)
    record = record_for("run.py", args, url, argv)
    record.update(measure(url, args))
    if not args.skip_streams:
        record["streams"] = streams(args)
    record["load_after"] = load()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{args.db}-{args.members}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


def _detail_only(url: str, args) -> None:
    path = RESULTS / f"{args.db}-{args.members}.json"
    head = record_for("run.py --only-detail", args, url, None)
    record = json.loads(path.read_text()) if path.exists() else dict(head)
    app = open_app(url)
    with app.app_context():
        record["detail"] = {"when": head["when"], "load_before": head["load_before"],
                            **detail(service_for(app, datetime.now(UTC)), args.repeat),
                            "load_after": load()}
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record["detail"], indent=2))


if __name__ == "__main__":
    main()
