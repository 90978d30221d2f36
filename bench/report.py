"""docs/BENCHMARKS.md from the JSON records of bench/run.py, scaling.py, interactive.py and
concurrency.py (bench/results/)."""

from __future__ import annotations

import json
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"
INTRO = Path(__file__).resolve().parent / "BENCHMARKS.intro.md"
FINDINGS = Path(__file__).resolve().parent / "BENCHMARKS.findings.md"


def write_report(results: Path) -> Path:
    def load(pattern: str) -> list[dict]:
        found = [json.loads(p.read_text()) for p in sorted(results.glob(pattern))]
        return sorted(found, key=lambda r: (r["members"], r["db"]))
    records = [r for r in load("*.json") if "overview" in r]  # bench/run.py's
    parts = [INTRO.read_text().rstrip(), "", _scaling(load("scaling-*.json")),
             _interactive(load("interactive-*.json")), _concurrency(load("concurrency-*.json")),
             _summary(records), _refresh(records), FINDINGS.read_text()]
    parts += [_section(record) for record in records]
    parts += _references(results / "references")
    DOC.write_text("\n".join(parts) + "\n")
    return DOC


def _when(r) -> str:
    v = r["versions"]
    return (f"`{r['command']}` on {r['when']}; {v['database']}, Python {v['python']}, "
            f"{v['cpus']} CPUs; load average before {r['load_before']}, after {r['load_after']}; "
            f"medians of {r['repeat']} interleaved rounds.")


def _scaling(records) -> str:
    """bench/scaling.py: the overview at 6 / 24 / 96 segments against the hand floor."""
    lines = ["## Segment count scaling (`bench/scaling.py`; target: overview within 1.2x of "
             "the floor, overlap of 24 within 1.5x of the overview)", ""]
    for r in records:
        lines += [f"### {r['db']}, {r['members']:,} members", "", _when(r), "",
                  "| segments | distinct conditions | ours s | floor s | ours / floor | "
                  "one query per segment s | per segment / ours |", "|---|---|---|---|---|---|---|"]
        for row in r["scaling"]:
            per = row.get("one query per segment")
            lines.append(f"| {row['segments']} | {row['conditions']} | {row['ours']:.2f} | "
                         f"{row['floor']:.2f} | {row['ours'] / row['floor']:.2f}x | "
                         + (f"{per:.2f} | {per / row['ours']:.2f}x |" if per else "- | - |"))
        o = r["overlap"]
        lines += ["", f"Overlap of 24 segments: {o['overlap of 24']:.2f} s against the overview "
                  f"of the same 24, {o['overview of 24']:.2f} s: "
                  f"**{o['overlap of 24'] / o['overview of 24']:.2f}x**.", ""]
    return "\n".join(lines)


def _interactive(records) -> str:
    """bench/interactive.py: paths a full scan is inherent to, against their own floor."""
    lines = ["## Interactive paths (`bench/interactive.py`; target: within 1 s, or 1.2x "
             "their own single-scan floor)", "",
             "| members | database | path | ours s | floor s | ours / floor | load before |",
             "|---|---|---|---|---|---|---|"]
    for r in records:
        for path, t in r["paths"].items():
            lines.append(f"| {r['members']:,} | {r['db']} | {path} | {t['ours']:.3f} | "
                         f"{t['floor']:.3f} | {t['ours'] / t['floor']:.2f}x | {r['load_before']} |")
    return "\n".join(lines) + "\n"


def _concurrency(records) -> str:
    """bench/concurrency.py: 50 overview requests at once against a lone one."""
    lines = ["## Many admins at once (`bench/concurrency.py`; target: p95 within 2x a lone "
             "request, 0 errors)", "",
             "| members | database | lone (median of n) s | p50 s | p95 s | p95 / lone | "
             "requests | errors | load | p95 of each burst s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        bursts = ", ".join(f"{p:.2f}" for p in r.get("burst p95s", ()))
        lines.append(f"| {r['members']:,} | {r['versions']['database']} | {r['lone median']:.3f} "
                     f"(n={r.get('lone requests', 5)}) | {r['p50']:.3f} | {r['p95']:.3f} | "
                     f"{r['p95 / lone']:.2f}x | {r['clients']} x {r['bursts']} | {r['errors']} "
                     f"| {r['load']} | {bursts} |")
    return "\n".join(lines) + "\n"


def _summary(records) -> str:
    rows = ["## Summary (targets at 1M members)", "",
            "| members | database | overview / floor | per segment / overview | "
            "overlap / overview | export MB | recipients MB |", "|---|---|---|---|---|---|---|"]
    for r in records:
        o, x, s = r["overview"], r["overlap"], r.get("streams", {})
        ours = o["one pass (ours)"]
        rows.append(
            f"| {r['members']:,} | {r['db']} | {ours / o.get('floor: one hand-written scan', o.get('floor: distinct conditions once')):.2f}x "  # noqa: E501
            f"| {o['one query per segment'] / ours:.1f}x "
            f"| {x['matrix (ours)'] / x['overview (ours)']:.2f}x "
            f"| {_mb(s, 'export')} | {_mb(s, 'recipients')} |")
    return "\n".join(rows) + "\n"


def _refresh(records) -> str:
    """The membership refresh (bench/refresh.py) against one overview, in the same rounds."""
    rows = ["## Membership refresh (`bench/refresh.py`; target: at most ~2x one overview)", "",
            "| members | database | refresh s | overview s | refresh / overview | "
            "tracemalloc peak MB | RSS growth MB | largest segment: members, stored KB | command; when; load |",  # noqa: E501
            "|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        if "refresh" not in r:
            continue
        f = r["refresh"]
        t, m, st = f["times"], f["memory"], f["stored"]
        rows.append(
            f"| {r['members']:,} | {r['db']} | {t['refresh (ours)']:.2f} | {t['overview (ours)']:.2f} "
            f"| {t['refresh (ours)'] / t['overview (ours)']:.2f}x | {m['tracemalloc_peak_mb']:.1f} "
            f"| {m['peak_rss_growth_mb']:.1f} | {st['largest_segment_members']:,}, "
            f"{st['largest_segment_bytes'] / 1024:.1f} | `{f['command']}`; {f['when']}; "
            f"{f['load_before']} |")
    return "\n".join(rows) + "\n"


def _mb(streams, kind) -> str:
    return f"{streams[kind]['peak_growth_mb']:.1f}" if kind in streams else "-"


def _section(r) -> str:
    v = r["versions"]
    lines = [f"## {r['db']}, {r['members']:,} members", "",
             f"`{r['command']}` on {r['when']}; {v['database']}"
             + (f" (work_mem {v['work_mem']})" if "work_mem" in v else "")
             + f", Python {v['python']}, SQLAlchemy {v['sqlalchemy']}, {v['cpus']} CPUs, "
             f"{v['machine']}; load average before {r['load_before']}, after {r['load_after']}. "
             f"Medians of {r['repeat']} interleaved rounds; {r['segments']} segments, "
             f"{r['distinct_conditions']} distinct conditions.", "",
             "| measure | seconds | ratio |", "|---|---|---|"]
    lines += _rows("overview", r["overview"], "one pass (ours)")
    overlap = dict(r["overlap"])
    measured = overlap.pop("pairs measured")
    lines += _rows("overlap 24x24", overlap, "overview (ours)")
    lines.append(f"| (one query per pair: 24 sizes + 276 pairs, {measured} pairs timed"
                 + (", rest estimated" if measured < 276 else "") + ") | | |")
    detail = {k: v for k, v in r["detail"].items() if isinstance(v, float)}
    title = ("detail (first page of 50 by last activity, no count; the count; a deep page)"
             if any("first page" in k for k in detail) else
             "detail: count + first page by last activity")
    lines += _rows(title, detail, None)
    if "when" in r["detail"]:
        lines.append(f"| (detail timed {r['detail']['when']}, load {r['detail']['load_before']})"
                     " | | |")
    lines += _rows("live count", r["live_count"], None)
    for kind, s in r.get("streams", {}).items():
        lines.append(f"| stream {kind}: {s['rows']:,} rows, peak RSS growth "
                     f"{s['peak_growth_mb']:.1f} MB | {s['seconds']:.2f} | |")
    return "\n".join(lines) + "\n"


def _rows(title, times, base) -> list[str]:
    rows = []
    for name, seconds in times.items():
        ratio = f"{seconds / times[base]:.2f}x" if base else ""
        rows.append(f"| {title}: {name} | {seconds:.3f} | {ratio} |")
    return rows


def _references(folder: Path) -> list[str]:
    """The records of bench/references.py: references in the overview, suggestion latency."""
    records = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    if not records:
        return []
    parts = ["## Segments built on segments, and value suggestions (bench/references.py)", "",
             "24 stored segments, 18 of the benchmark's and 6 that refer to them (nested, "
             "`in` and `not_in`), counted by `service.counts()` in one pass (references "
             "inlined, shared conditions once) against one query per segment; the 24 plain "
             "benchmark segments in one pass for comparison. Suggestions: `values FIELD` "
             "with a cold cache (the first answer) and again (cached), limit 10; above "
             "200,000 member ids the counts come from a sample (`about`).", ""]
    for r in sorted(records, key=lambda r: (r["members"], r["db"])):
        v = r["versions"]
        parts += [f"### {r['db']}, {r['members']:,} members", "",
                  f"`{r['command']}` on {r['when']}; {v['database']}, {v['cpus']} CPUs; "
                  f"load average before {r['load_before']}, after {r['load_after']} "
                  f"(a machine shared with other work: absolute times are inflated). "
                  f"Medians of {r['repeat']} rounds"
                  + (f"; the overview rows from the full run of {r['overview_when']}"
                     if "overview_when" in r else "") + ".", "",
                  "| measure | seconds | ratio |", "|---|---|---|"]
        parts += _rows("overview", r["overview"], "one pass, 24 with 6 references (ours)")
        parts += ["", "| suggestions | first (ms) | cached (ms) | sampled | top value (count) |",
                  "|---|---|---|---|---|"]
        for name, s in r["suggestions"].items():
            top = f"{s['top']['value']} ({s['top']['count']:,})" if s["top"] else "none in sample"
            parts.append(f"| {name} | {s['first_ms']:.0f} | {s['cached_ms']:.2f} | "
                         f"{'about' if s['about'] else 'exact'} | {top} |")
        parts.append("")
    return parts
