"""Benchmark segments built on segments, and value suggestions, on a generated community.

    python bench/references.py --db sqlite --members 1000000
    python bench/references.py --db postgresql --members 1000000

Overview: 24 stored segments, 18 of bench/segments.py and 6 that refer to them (nested,
in and not_in), counted in one pass (references inlined, shared conditions once) against
one query per segment. Suggestions: the first answer of ``values`` (cache empty) for
several fields and prefixes, and a repeated one (cached). Results go to
bench/results/references/<db>-<members>.json; ``bench/run.py --report`` adds them to
docs/BENCHMARKS.md. The segments are created for the run and deleted after it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

from bench.data import community_parser, community_url  # noqa: E402
from bench.run import PG_URL, load, open_app, service_for, side_by_side, versions  # noqa: E402
from bench.segments import SEGMENTS  # noqa: E402

RESULTS = HERE / "results" / "references"
PREFIX = "bench-ref: "
SUGGESTIONS = [("department", ""), ("department", "eng"), ("job_title", ""),
               ("job_title", "sen"), ("country", ""), ("country", "germ"), ("groups", ""),
               ("badges", "he"), ("username", "ann"), ("email", "zz")]


def _rule(field, op, value=None):
    return {"field": field, "op": op, **({} if value is None else {"value": value})}


def referring(ids: dict[str, int]):
    """Six segments on the others: in, not_in, several ids, and one on a referrer (made
    one by one: ``ids`` gains each as it is created)."""
    def seg(op, *titles):
        return _rule("segment", op, [ids[t] for t in titles])
    yield "Champions outside the US", {"match": "all", "rules": [
        seg("in", "Champions"), _rule("country", "not_equals", "US")]}
    yield "Regulars not drifting", {"match": "all", "rules": [
        seg("in", "Regulars"), seg("not_in", "Drifting away")]}
    yield "New and active", {"match": "all", "rules": [
        seg("in", "Newcomers", "First contributors"), seg("in", "Active in the last 30 days")]}
    yield "Engaged employees", {"match": "all", "rules": [
        seg("in", "Employees"), _rule("post_count", "gte", 1)]}
    yield "Customers without a badge", {"match": "all", "rules": [
        seg("not_in", "Employees"), seg("in", "Without a badge")]}
    yield "Leaders abroad", {"match": "any", "rules": [
        seg("in", "Champions outside the US"), seg("in", "Regulars")]}


def create_segments(service) -> list:
    made = {}
    for title, criteria in SEGMENTS[:18]:
        made[title] = service.create(PREFIX + title, criteria)
    ids = {title: s.id for title, s in made.items()}
    for title, criteria in referring(ids):
        made[title] = service.create(PREFIX + title, criteria)
        ids[title] = made[title].id
    return list(made.values())


def delete_segments(service) -> None:
    service.session.rollback()
    for segment in reversed(service.list_segments()):
        if segment.title.startswith(PREFIX):
            service.session.delete(segment)
            service.session.flush()
    service.session.commit()


def overview(service, segments, repeat: int) -> dict:
    evaluator = service.evaluator
    trees = [service.parse(s.criteria) for s in segments]
    plain = [service.parse(criteria) for _, criteria in SEGMENTS]
    fast = [c.count for c in service.counts(segments)]
    assert fast == [evaluator.count(t) for t in trees], "one pass differs from one query each"
    return side_by_side({
        "one pass, 24 with 6 references (ours)": lambda: service.counts(segments),
        "one query per segment": lambda: [evaluator.count(t) for t in trees],
        "one pass, the 24 plain bench segments": lambda: evaluator.counts(plain),
    }, repeat)


def suggestions(state, repeat: int) -> dict:
    found = {}
    for key, prefix in SUGGESTIONS:
        first, cached, answer = [], [], None
        for _ in range(repeat):
            state.value_cache.entries.clear()
            started = time.perf_counter()
            answer = state.suggester().suggest(key, prefix, 10)
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            state.suggester().suggest(key, prefix, 10)
            cached.append(time.perf_counter() - started)
        found[f"{key} {prefix!r}"] = {
            "first_ms": round(1000 * sorted(first)[len(first) // 2], 1),
            "cached_ms": round(1000 * sorted(cached)[len(cached) // 2], 2),
            "about": answer.about, "top": answer.items[0] if answer.items else None}
    return found


def main(argv=None) -> None:
    parser = community_parser(__doc__)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", PG_URL))
    parser.add_argument("--suggestions-only", action="store_true",
                        help="measure suggestions again, keep the recorded overview")
    args = parser.parse_args(argv)
    url = community_url(args.db, args.members, args.seed, args.pg_url)
    record = {"db": args.db, "members": args.members, "seed": args.seed, "repeat": args.repeat,
              "when": datetime.now(UTC).isoformat(timespec="seconds"), "load_before": load(),
              "command": "python bench/references.py " + " ".join(argv or sys.argv[1:]),
              "versions": versions(url)}
    app = open_app(url)
    from community_segments.extension import get_state
    with app.app_context():
        service = service_for(app, datetime.now(UTC))
        path = RESULTS / f"{args.db}-{args.members}.json"
        if args.suggestions_only and path.exists():
            record["overview"] = json.loads(path.read_text())["overview"]
            record["overview_when"] = json.loads(path.read_text())["when"]
        else:
            delete_segments(service)  # left over by an interrupted run
            try:
                record["overview"] = overview(service, create_segments(service), args.repeat)
            finally:
                delete_segments(service)
        record["suggestions"] = suggestions(get_state(app), args.repeat)
    record["load_after"] = load()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
