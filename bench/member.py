"""One member against the 24 benchmark segments: explain, memberships, diff pages.

Usage: ``python bench/member.py [--db postgresql] [--members 1000000]``. Uses the cached
community of bench/data.py (built on first use) and prints median seconds (JSON).
Everything here reads one member's row (explain, memberships) or one keyset page of
members (diff lists), so the times should not grow with the member count.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

from bench.data import community_parser, community_url  # noqa: E402
from bench.segments import SEGMENTS  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def median_seconds(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def measure(url: str, repeat: int) -> dict:
    import sqlalchemy as sa

    from community_segments.demo.app import create_app
    from community_segments.demo.models import db
    from community_segments.insight import MemberInsight
    from community_segments.query.criteria import parse
    from community_segments.state import get_state

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        state = get_state()
        insight = MemberInsight(state.service())
        trees = [parse(criteria, state.registry).tree for _, criteria in SEGMENTS]
        reader = insight._reader()
        session = db.session
        top = session.scalar(sa.select(sa.func.max(state.view.id)))
        members = [1, top // 2, top]
        old = parse(SEGMENTS[0][1], state.registry)
        new = parse(SEGMENTS[1][1], state.registry)
        results = {"members": session.scalar(sa.select(sa.func.count()).select_from(
            state.view.model.__table__)), "database": session.get_bind().dialect.name}
        results["explain: one segment, one member (each of 24, median)"] = statistics.median(
            median_seconds(lambda t=tree, m=member: reader.explain(session, t, m), repeat)
            for tree in trees for member in members)
        results["memberships: 24 segments, one member"] = statistics.median(
            median_seconds(lambda m=member: reader.memberships(session, trees, m), repeat)
            for member in members)
        for side in ("added", "removed"):
            results[f"diff list: first page of {side} (50)"] = median_seconds(
                lambda s=side: insight.changes(old, new, s), repeat)
        return results


def main(argv=None) -> None:
    parser = community_parser(__doc__)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", PG_URL))
    args = parser.parse_args(argv)
    url = community_url(args.db, args.members, args.seed, args.pg_url)
    print(json.dumps(measure(url, args.repeat), indent=2))


if __name__ == "__main__":
    main()
