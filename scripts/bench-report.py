#!/usr/bin/env python3
"""Merges the benchmarks' JSON results into one table, one JSON file and one SVG chart.

Usage: scripts/bench-report.py OUT_DIR RESULT.json...

Each RESULT.json is the array of rows a `bench` subcommand writes with `--json`. The report
records the machine the figures come from (CPU model, cores, memory, commit), judges each row
against its target, prints one table, and writes OUT_DIR/results.json and OUT_DIR/ratios.svg
(one bar per benchmark: its ratio to the raw baseline measured in the same run, with the
target marked). Rows of the growth benchmark (they name a `series` and the `contacts` stored)
are drawn as curves instead, in OUT_DIR/growth.svg: each figure over the number of fans
stored, as a ratio to the empty database, the services' peak memory likewise, and the search's
p99 through the console beside its SQL alone. Only the standard library is used.
"""

import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
from html import escape


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gib = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            kib = int(info.readline().split()[1])
            memory_gib = round(kib / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "kernel": platform.release(),
        "commit": commit,
        "measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def number(text):
    return float(text.replace(",", ""))


def judge(row):
    """True or False when the target can be read from its text, None otherwise."""
    target = row.get("target") or ""
    # A verdict the benchmark wrote itself (it knows targets a pattern cannot read).
    verdict = re.search(r"\((met|missed)\)", target)
    if verdict:
        return verdict.group(1) == "met"
    ratio, figure, p99 = row.get("ratio"), row.get("figure"), row.get("p99_ms")
    match = re.search(r"ratio\s*(?:>=|≥)\s*([\d.,]+)", target)
    if match and ratio is not None:
        return ratio >= number(match.group(1))
    match = re.search(r"ratio\s*(?:<=|≤)\s*([\d.,]+)", target)
    if match and ratio is not None:
        return ratio <= number(match.group(1))
    match = re.search(r"time\s*(?:<=|≤)\s*([\d.,]+)\s*×", target)
    if match and ratio is not None:
        return ratio <= number(match.group(1))
    match = re.search(r"p99\s*<\s*([\d.,]+)\s*ms", target)
    if match and p99 is not None:
        return p99 < number(match.group(1))
    match = re.match(r"\s*(?:>=|≥)\s*([\d.,]+)", target)
    if match and figure is not None:
        return figure >= number(match.group(1))
    return None


def rate_fraction(row):
    """The row as a fraction of its baseline's rate, and the target as the same fraction; None
    when the target is not relative to the baseline (absolute rates, latencies)."""
    target = row.get("target") or ""
    if not (finite(row.get("figure")) and finite(row.get("baseline")) and row["baseline"]):
        return None
    fraction = row["figure"] / row["baseline"]
    match = re.search(r"ratio\s*(?:>=|≥)\s*([\d.,]+)", target)
    if match:
        return fraction, number(match.group(1))
    match = re.search(r"time\s*(?:<=|≤)\s*([\d.,]+)\s*×", target)
    if match:
        return fraction, 1 / number(match.group(1))
    return None


def finite(value):
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def print_table(rows):
    header = f"{'benchmark':<56} {'median':>12} {'raw baseline':<36} {'median':>12} {'ratio':>6}  {'target':<22} verdict"
    print(header)
    print("-" * len(header))
    for row in rows:
        baseline = f"{row['baseline']:12.0f}" if finite(row.get("baseline")) else f"{'-':>12}"
        ratio = f"{row['ratio']:6.2f}" if finite(row.get("ratio")) else f"{'-':>6}"
        verdict = {True: "met", False: "MISSED", None: "-"}[row["met"]]
        name = f"{row['benchmark']} ({row['unit']})"
        print(
            f"{name:<56} {row['figure']:12.0f} {row['baseline_name']:<36} {baseline} {ratio}  {row['target']:<22} {verdict}"
        )


def bare_target(row):
    """The target's text without a verdict the benchmark may have written into it."""
    return re.sub(r"\s*\((met|missed)\)", "", row.get("target") or "")


PALETTE = ["#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#ad1457"]


def growth_chart(rows, info):
    """Three panels over the fans stored: rates as a ratio to the empty database (target line
    0.8), peak memory likewise (target line 1.2), and the search's p99 in ms (console solid,
    SQL alone dashed; target line 100 ms)."""
    sizes = sorted({row["contacts"] for row in rows})
    panels = [
        (
            "figure / same on the empty database (higher is better; target ≥ 0.8)",
            [r for r in rows if not r["series"].endswith("peak memory") and not r["series"].startswith(("search SQL", "argon2id"))],
            lambda r: r["ratio"],
            0.8,
        ),
        (
            "peak resident memory / same on the empty database (target ≤ 1.2)",
            [r for r in rows if r["series"].endswith("peak memory")],
            lambda r: r["ratio"],
            1.2,
        ),
        (
            "search p99, ms (console solid, its SQL alone dashed; target < 100 ms)",
            [r for r in rows if r["series"].startswith(("console search", "search SQL"))],
            lambda r: r.get("p99_ms"),
            100.0,
        ),
    ]
    width, left, right, panel_height, top = 900, 70, 260, 220, 60
    plot = width - left - right
    height = top + len(panels) * (panel_height + 70) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="22" font-size="16" font-weight="bold">secutix-bridge: cost as the database grows (bench growth)</text>',
        f'<text x="10" y="42" fill="#555">{escape(info["cpu"] or "")}, {info["cores"]} cores, commit {escape(info["commit"] or "?")}, {escape(info["measured_at"])}</text>',
    ]
    largest = max(sizes) or 1

    def x(size):
        return left + plot * size / largest

    for index, (title, panel_rows, value, goal) in enumerate(panels):
        y0 = top + index * (panel_height + 70) + 20
        series = sorted({r["series"] for r in panel_rows}, key=lambda name: (name.startswith("search SQL"), name))
        values = [value(r) for r in panel_rows if finite(value(r))]
        y_max = max([goal * 1.25] + [v * 1.1 for v in values])

        def y(v, y0=y0, y_max=y_max):
            return y0 + panel_height - panel_height * v / y_max

        parts.append(f'<text x="{left}" y="{y0 - 6}" font-weight="bold">{escape(title)}</text>')
        parts.append(f'<rect x="{left}" y="{y0}" width="{plot}" height="{panel_height}" fill="none" stroke="#999"/>')
        for size in sizes:
            parts.append(f'<line x1="{x(size):.1f}" y1="{y0}" x2="{x(size):.1f}" y2="{y0 + panel_height}" stroke="#eee"/>')
            label = f"{size / 1e6:g}M" if size >= 1_000_000 else (f"{size / 1e3:g}k" if size else "0")
            parts.append(f'<text x="{x(size):.1f}" y="{y0 + panel_height + 14}" text-anchor="middle" fill="#555">{label}</text>')
        parts.append(f'<text x="{left + plot / 2:.1f}" y="{y0 + panel_height + 30}" text-anchor="middle" fill="#555">fans stored</text>')
        for tick in (0, y_max / 2, y_max):
            parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#555">{tick:.3g}</text>')
        parts.append(
            f'<line x1="{left}" y1="{y(goal):.1f}" x2="{left + plot}" y2="{y(goal):.1f}" stroke="black" stroke-width="1.5" stroke-dasharray="6,3"/>'
        )
        forms = sorted({name.split(", ", 1)[-1] for name in series})
        for number, name in enumerate(series):
            points = sorted((r["contacts"], value(r)) for r in panel_rows if r["series"] == name and finite(value(r)))
            if not points:
                continue
            raw = name.startswith("search SQL")
            colour = PALETTE[(forms.index(name.split(", ", 1)[-1]) if index == 2 else number) % len(PALETTE)]
            dash = ' stroke-dasharray="3,3"' if raw else ""
            path = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
            for s, v in points:
                parts.append(f'<circle cx="{x(s):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
            last = points[-1][1]
            legend_y = y0 + 14 + 15 * number
            parts.append(f'<line x1="{left + plot + 12}" y1="{legend_y - 4}" x2="{left + plot + 30}" y2="{legend_y - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
            parts.append(f'<text x="{left + plot + 34}" y="{legend_y}">{escape(name)} ({last:.3g})</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def svg_chart(rows, info):
    bars = [(row, rate_fraction(row)) for row in rows if rate_fraction(row)]
    others = [row for row in rows if not rate_fraction(row)]
    width, left, bar_height, gap, top = 900, 330, 22, 10, 60
    # A logarithmic axis: the ratios run from tenths (against raw baselines) to tens (passkey
    # against password sign-ins), and each must stay readable beside its target.
    values = [value for _, pair in bars for value in pair if value > 0]
    scale_min = 10 ** math.floor(math.log10(min(values + [0.5])))
    scale_max = max([1.2] + [value * 1.2 for value in values])
    plot = width - left - 60
    bottom = top + len(bars) * (bar_height + gap)
    height = bottom + 50 + 18 * len(others) + 20

    def x(value):
        span = math.log10(scale_max) - math.log10(scale_min)
        return left + plot * (math.log10(max(value, scale_min)) - math.log10(scale_min)) / span

    subtitle = f'{info["cpu"] or ""}, {info["cores"]} cores, {info["memory_gib"]} GiB, commit {info["commit"] or "?"}, {info["measured_at"]}'
    if info.get("passkey_rows"):
        subtitle += f' (passkey rows: commit {info["passkey_rows"]["commit"]}, {info["passkey_rows"]["measured_at"]})'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="22" font-size="16" font-weight="bold">secutix-bridge: median rate as a fraction of the raw baseline measured in the same run</text>',
        f'<text x="10" y="42" fill="#555">{escape(subtitle)}</text>',
    ]
    decade = scale_min
    while decade <= scale_max:
        for step in (1, 2, 5):
            tick = decade * step
            if tick <= scale_max:
                parts.append(f'<line x1="{x(tick):.1f}" y1="{top - 5}" x2="{x(tick):.1f}" y2="{bottom}" stroke="#ddd"/>')
                parts.append(f'<text x="{x(tick):.1f}" y="{bottom + 15}" text-anchor="middle" fill="#555">{tick:g}</text>')
        decade *= 10
    for index, (row, (fraction, goal)) in enumerate(bars):
        y = top + index * (bar_height + gap)
        colour = {True: "#2e7d32", False: "#c62828", None: "#1565c0"}[row["met"]]
        parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(row["benchmark"])}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{x(fraction) - left:.1f}" height="{bar_height}" fill="{colour}"/>')
        parts.append(f'<text x="{x(fraction) + 4:.1f}" y="{y + 16}">{fraction:.2f}</text>')
        parts.append(
            f'<line x1="{x(goal):.1f}" y1="{y - 3}" x2="{x(goal):.1f}" y2="{y + bar_height + 3}" stroke="black" stroke-width="2" stroke-dasharray="4,2"/>'
        )
    y = bottom + 38
    for row in others:
        verdict = {True: "met", False: "missed", None: "-"}[row["met"]]
        latency = f", p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms" if finite(row.get("p99_ms")) else ""
        parts.append(f'<text x="10" y="{y}">{escape(row["benchmark"])}: {row["figure"]:.0f} {escape(row["unit"])}{latency}; target {escape(bare_target(row))} ({verdict})</text>')
        y += 18
    parts.append(
        f'<text x="10" y="{height - 8}" fill="#555">green: target met, red: missed; dashed line: the target (for the import, the time target as a rate); logarithmic scale</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_dir, paths = sys.argv[1], sys.argv[2:]
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as results:
            for row in json.load(results):
                row["met"] = judge(row)
                rows.append(row)
    info = machine()
    print_table(rows)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as out:
        json.dump({"machine": info, "rows": rows}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    growth = [row for row in rows if row.get("series") is not None]
    with open(os.path.join(out_dir, "ratios.svg"), "w", encoding="utf-8") as out:
        out.write(svg_chart([row for row in rows if row.get("series") is None], info))
    written = ["results.json", "ratios.svg"]
    if growth:
        with open(os.path.join(out_dir, "growth.svg"), "w", encoding="utf-8") as out:
            out.write(growth_chart(growth, info))
        written.append("growth.svg")
    print(f"\nWrote {', '.join(f'{out_dir}/{name}' for name in written)}")


if __name__ == "__main__":
    main()
