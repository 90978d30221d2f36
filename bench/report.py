"""docs/BENCHMARKS.md from the JSON records of bench/run.py."""

from __future__ import annotations

import json
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"
INTRO = Path(__file__).resolve().parent / "BENCHMARKS.intro.md"
FINDINGS = Path(__file__).resolve().parent / "BENCHMARKS.findings.md"


def write_report(results: Path) -> Path:
    records = [json.loads(p.read_text()) for p in sorted(results.glob("*.json"))]
    records.sort(key=lambda r: (r["members"], r["db"]))
    parts = [INTRO.read_text().rstrip(), "", _summary(records), _refresh(records),
             FINDINGS.read_text()]
    parts += [_section(record) for record in records]
    parts += _references(results / "references")
    DOC.write_text("\n".join(parts) + "\n")
    return DOC


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
    lines += _rows("detail: count + first page by last activity", r["detail"], None)
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
