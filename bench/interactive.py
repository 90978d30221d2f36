"""The admin's interactive paths at scale, each next to its own hand-written single scan.

    python bench/interactive.py --db postgresql --members 1000000

- **live count** of a complex filter (an OR of multi-valued and text conditions, as the
  builder sends while an admin types): ``service.count`` against the hand floor's count
  of the same criteria (bench/floor.py);
- **edit diff** (who a change of filters adds and removes): ``service.difference`` in one
  scan, against the floor counting old AND new, new and old in one scan;
- **overlap of a group of 10** (the overlap page of one segment group): the one-pass
  matrix against the overview of the same 10 segments.

A full scan is inherent to all three (a count over every member), so each is measured
against its own single-scan floor: the target is 1.2x. Counts are checked equal first;
medians of interleaved rounds. Results: bench/results/interactive-<db>-<members>.json.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

from bench.data import community_parser, community_url  # noqa: E402
from bench.floor import floor_query  # noqa: E402
from bench.run import PG_URL, load, open_app, record_for, service_for, side_by_side  # noqa: E402
from bench.segments import SEGMENTS  # noqa: E402

COMPLEX = {"match": "any", "rules": [
    {"field": "badges", "op": "has_any", "value": ["Top contributor", "Helpful"]},
    {"match": "all", "rules": [
        {"field": "groups", "op": "has_none", "value": ["Beta testers"]},
        {"field": "department", "op": "equals", "value": "Customer Success"}]},
    {"field": "email", "op": "contains", "value": "@logoipsum.com"},
]}
OLD = dict(SEGMENTS)["Regulars"]
NEW = {"match": "all", "rules": [*OLD["rules"],
                                 {"field": "country", "op": "not_equals", "value": "US"}]}
GROUP = [criteria for _, criteria in SEGMENTS[:10]]


def measure(service, repeat: int) -> dict:
    dialect = service.session.get_bind().dialect.name
    now = service.evaluator.now
    run = service.session.execute
    live_floor = floor_query([COMPLEX], now, dialect)
    diff_floor = floor_query([{"match": "all", "rules": [OLD, NEW]}, NEW, OLD], now, dialect)
    group = [service.parse(c) for c in GROUP]

    def diff_by_hand():
        both, new, old = run(diff_floor).one()
        return new - both, old - both

    assert service.count(COMPLEX) == run(live_floor).scalar_one(), "live count differs"
    assert service.difference(OLD, NEW) == diff_by_hand(), "diff differs"
    matrix = service.evaluator.overlap(group)
    assert [matrix[i][i] for i in range(10)] == service.evaluator.counts(group)
    return {
        "live count": side_by_side({"ours": lambda: service.count(COMPLEX),
                                    "floor": lambda: run(live_floor).one()}, repeat),
        "edit diff": side_by_side({"ours": lambda: service.difference(OLD, NEW),
                                   "floor": diff_by_hand}, repeat),
        "overlap of a group of 10": side_by_side({
            "ours": lambda: service.evaluator.overlap(group),
            "floor": lambda: service.evaluator.counts(group)}, repeat),
    }


def main(argv=None) -> None:
    parser = community_parser(__doc__)
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)
    url = community_url(args.db, args.members, args.seed, args.pg_url)
    record = record_for("interactive.py", args, url, argv)
    app = open_app(url)
    with app.app_context():
        record["paths"] = measure(service_for(app, datetime.now(UTC)), args.repeat)
    record["load_after"] = load()
    path = HERE / "results" / f"interactive-{args.db}-{args.members}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
