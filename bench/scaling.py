"""Overview cost against the number of segments, next to the hand-written floor.

    python bench/scaling.py --db postgresql --members 100000
    python bench/scaling.py --db sqlite --members 1000000 --segments 6,24,96

For 6 / 24 / 96 segments (bench/segments.py: the benchmark's 24, then generated ones):
ours (the overview as the app runs it), the floor (bench/floor.py: one hand-written scan,
conditions once, a FILTER / SUM(CASE) count per segment), one query per segment, and the
overlap of 24 segments; all checked equal before timing, timed in interleaved rounds.
Results: bench/results/scaling-<db>-<members>.json.
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
from bench.segments import scaled  # noqa: E402


def measure(service, count: int, repeat: int, per_segment: bool) -> dict:
    from community_segments.query import overview
    evaluator, session = service.evaluator, service.session
    criteria = [c for _, c in scaled(count)]
    trees = [service.parse(c) for c in criteria]
    floor = floor_query(criteria, evaluator.now, session.get_bind().dialect.name)
    ours = evaluator.counts(trees)
    assert ours == list(session.execute(floor).one()), "floor counts differ from ours"
    atoms = overview.Atoms(service.registry)
    for tree in trees:
        atoms.formula(tree)
    candidates = {"ours": lambda: evaluator.counts(trees),
                  "floor": lambda: session.execute(floor).one()}
    if per_segment:
        candidates["one query per segment"] = lambda: [evaluator.count(t) for t in trees]
    times = side_by_side(candidates, repeat)
    return {"segments": count, "conditions": len(atoms),
            **times, "ours / floor": times["ours"] / times["floor"]}


def overlap(service, repeat: int) -> dict:
    evaluator = service.evaluator
    trees = [service.parse(c) for _, c in scaled(24)]
    times = side_by_side({"overlap of 24": lambda: evaluator.overlap(trees),
                          "overview of 24": lambda: evaluator.counts(trees)}, repeat)
    return {**times, "overlap / overview": times["overlap of 24"] / times["overview of 24"]}


def main(argv=None) -> None:
    parser = community_parser(__doc__)
    parser.add_argument("--segments", default="6,24,96")
    parser.add_argument("--skip-per-segment", action="store_true")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)
    url = community_url(args.db, args.members, args.seed, args.pg_url)
    record = record_for("scaling.py", args, url, argv)
    record["scaling"] = []
    app = open_app(url)
    with app.app_context():
        service = service_for(app, datetime.now(UTC))
        for count in map(int, args.segments.split(",")):
            record["scaling"].append(measure(service, count, args.repeat,
                                             not args.skip_per_segment))
            print(json.dumps(record["scaling"][-1]), flush=True)
        record["overlap"] = overlap(service, args.repeat)
    record["load_after"] = load()
    path = HERE / "results" / f"scaling-{args.db}-{args.members}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record["overlap"]))


if __name__ == "__main__":
    main()
