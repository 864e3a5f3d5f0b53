#!/usr/bin/env python3
"""DuckDB's figures for the reports, over the same Parquet files, for `safelake bench queries`.

    scripts/bench-duckdb.py LAKE TRUST [--year 2025-26] [--runs 5] [--hub ID]
                            [--reports a,b] [--json OUT] [--compare DATAFUSION.json]

Why: the query service is held to "every report within 1.5x of DuckDB"; this is the
DuckDB side of that comparison. It registers the lake's raw event tables as views over
read_parquet (Hive partitions school_id and month as VARCHAR, as the service reads them),
`schools` from trust.toml, the projections of queries/views/, and runs each report of
queries/*.sql with the same parameter values bound as DuckDB named parameters. It prints
the median and minimum of `--runs` runs and the peak RSS of each, in the layout of
`safelake bench queries`; with --compare it also prints both side by side with the ratio.

DuckDB always reads the raw events: that is the fair comparison (the same question, DuckDB
over raw Parquet), even where the service answers from rollup tables: each rollup is a view
of its definition over the raw events (queries/rollups/<name>.sql). A report or view
that reads any other table is run from a raw-events version of it when one exists
(queries/<any subfolder>/<name>.sql, e.g. queries/reference/); otherwise it is reported as
"n/a (rollup)".

The SQL is translated from DataFusion's dialect mechanically, by TRANSLATIONS below, each
listed there with why. Every report and view runs after these alone, with no manual
rewrite. DuckDB reads every *.parquet file, so a lake in the middle of a compaction (inputs
not yet deleted) would be counted twice here: bench on a lake no ingest is writing to.

Needs the duckdb package (scripts/bench-queries installs it into the tools venv).
"""

import argparse
import datetime
import json
import os
import re
import statistics
import sys
import time
import tomllib
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
RAW_TABLES = ["incident_events", "filter_events", "monitor_events", "agreement_events", "roster_events"]

# DataFusion-only syntax -> DuckDB, applied in this order to every view and report:
# (function name, rewrite of its argument text, or None to leave that call alone).
TRANSLATIONS = [
    # to_char(ts, '%Y-%m'): DataFusion's strftime-style formatting; DuckDB calls it strftime.
    ("to_char", lambda args, after: f"strftime({args})"),
    # arrow_cast(ts, 'Int64'): microseconds since the epoch of a microsecond timestamp
    # (every time column is one); DuckDB's epoch_us.
    ("arrow_cast", lambda args, after: epoch_us(args)),
    # to_date(text): DataFusion parses a date; a cast in DuckDB.
    ("to_date", lambda args, after: f"CAST({args} AS DATE)"),
    # first_value(x ORDER BY ...) as an aggregate (not a window: no OVER after it):
    # DuckDB's first(), which like DataFusion's keeps NULLs (the SQL orders them last
    # where it wants a value).
    ("first_value", lambda args, after: None if re.match(r"\s*OVER\b", after, re.I) else f"first({args})"),
]
# Needing no translation (checked on DuckDB 2.0): array_agg, array_distinct, array_sort,
# array_to_string, flatten, median, count(*) FILTER (WHERE ...), date_part('epoch',
# interval), least, now(), lpad, substr, $name parameters, INTERVAL literals, CAST of a
# dictionary-encoded column (DuckDB reads them as VARCHAR already).


def epoch_us(args: str) -> str:
    value, _, kind = args.rpartition(",")
    if kind.strip().strip("'") != "Int64":
        raise SystemExit(f"bench-duckdb: no translation for arrow_cast({args})")
    return f"epoch_us({value.strip()})"


def rewrite_calls(sql: str, name: str, rewrite) -> str:
    """Replaces each call name(...) (balanced parentheses) by rewrite(arguments, rest)."""
    out, pos = [], 0
    pattern = re.compile(rf"\b{name}\s*\(", re.IGNORECASE)
    while (m := pattern.search(sql, pos)) is not None:
        depth, i = 1, m.end()
        while depth:
            if i >= len(sql):
                raise SystemExit(f"bench-duckdb: unbalanced parentheses after {name}(")
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        args = rewrite_calls(sql[m.end():i - 1], name, rewrite)
        replaced = rewrite(args, sql[i:])
        out.append(sql[pos:m.start()])
        out.append(replaced if replaced is not None else sql[m.start():m.end()] + args + ")")
        pos = i
    out.append(sql[pos:])
    return "".join(out)


def translate(sql: str) -> str:
    for name, rewrite in TRANSLATIONS:
        sql = rewrite_calls(sql, name, rewrite)
    return sql


def strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def referenced(sql: str) -> set[str]:
    """Tables and views a statement reads, less its own CTEs."""
    body = strip_comments(sql)  # not $from, nor a column "from"
    names = {m.lower() for m in re.findall(r"(?<![\w$\".])(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", body, re.IGNORECASE)}
    ctes = {m.lower() for m in re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\s+AS\s*\(", body, re.IGNORECASE)}
    return names - ctes


def raw_version(name: str, available: set[str]) -> Path | None:
    """A version of a report or view in a subfolder of queries/ that reads only what DuckDB has."""
    for path in sorted(QUERIES.glob(f"*/**/{name}.sql")):
        if path.parent.name != "views" and referenced(path.read_text()) <= available:
            return path
    return None


def parquet_glob(lake: Path, table: str) -> str:
    return str(lake / table / "*" / "*" / "*.parquet").replace("'", "''")


def register(con, lake: Path, trust: dict) -> tuple[set[str], dict[str, str]]:
    """Tables, schools and projections; returns what is available and why a view is not."""
    for table in RAW_TABLES:
        if not any((lake / table).glob("*/*/*.parquet")):
            sys.exit(f"bench-duckdb: {lake / table} holds no Parquet files")
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{parquet_glob(lake, table)}', "
            "hive_partitioning = true, hive_types = {'school_id': VARCHAR, 'month': VARCHAR})"
        )
    hubs = {h["id"]: h["name"] for h in trust.get("hubs", [])}
    con.execute(
        "CREATE TABLE schools (school_id VARCHAR, school_name VARCHAR, hub_id VARCHAR, hub_name VARCHAR, "
        "phase VARCHAR, urn VARCHAR)"
    )
    for s in trust.get("schools", []):
        con.execute(
            "INSERT INTO schools VALUES (?, ?, ?, ?, ?, ?)",
            [s["id"], s["name"], s["hub"], hubs.get(s["hub"], s["hub"]), s.get("phase", ""), str(s.get("urn", ""))],
        )
    available = set(RAW_TABLES) | {"schools"}
    # Rollups as their definitions over the raw events: DuckDB aggregates the raw filter
    # events in every report that the service answers from the rollup's files.
    for path in sorted((QUERIES / "rollups").glob("*.sql")):
        con.execute(f"CREATE VIEW {path.stem} AS {translate(path.read_text())}")
        available.add(path.stem)
    pending = {p.stem: p for p in sorted((QUERIES / "views").glob("*.sql"))}
    unavailable: dict[str, str] = {}
    # Views may read each other: create what can be created until nothing changes.
    while pending:
        progressed = False
        for name, path in list(pending.items()):
            sql = path.read_text()
            if not referenced(sql) <= available:
                continue
            con.execute(f"CREATE VIEW {name} AS {translate(sql)}")
            available.add(name)
            del pending[name]
            progressed = True
        if not progressed:
            break
    for name, path in pending.items():
        other = raw_version(name, available)
        if other is not None:
            con.execute(f"CREATE VIEW {name} AS {translate(other.read_text())}")
            available.add(name)
        else:
            unavailable[name] = "reads " + ", ".join(sorted(referenced(path.read_text()) - available))
    return available, unavailable


def academic_year(label: str) -> tuple[datetime.datetime, datetime.datetime]:
    start = int(label[:4])
    utc = datetime.timezone.utc
    return datetime.datetime(start, 9, 1, tzinfo=utc), datetime.datetime(start + 1, 9, 1, tzinfo=utc)


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_report(con, sql: str, values: dict, runs: int) -> dict:
    used = set(re.findall(r"\$([A-Za-z_]\w*)", strip_comments(sql)))
    params = {k: v for k, v in values.items() if k in used}
    reset = reset_peak()
    times, rows = [], 0
    for _ in range(runs):
        # The result is materialised in DuckDB's own format, as DataFusion's is collected
        # into Arrow batches: no conversion to Python objects is timed.
        started = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE bench_result AS {sql}", params)
        times.append(time.perf_counter() - started)
        rows = con.execute("SELECT count(*) FROM bench_result").fetchone()[0]
    peak = peak_rss_mib()
    return {
        "rows": rows,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "runs_s": times,
        "peak_mib": peak if reset else None,
    }


def fmt(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lake", type=Path)
    parser.add_argument("trust", type=Path)
    parser.add_argument("--year", default="2025-26")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hub", help="the hub of the hub-scoped runs (default: the trust's first)")
    parser.add_argument("--reports", help="comma-separated report names (default: every queries/*.sql)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--compare", type=Path, help="safelake bench queries --json output to set beside")
    args = parser.parse_args()

    trust = tomllib.loads(args.trust.read_text())
    hub = args.hub or trust["hubs"][0]["id"]
    start, end = academic_year(args.year)
    names = args.reports.split(",") if args.reports else sorted(p.stem for p in QUERIES.glob("*.sql"))

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # months and dates of UTC timestamps, as DataFusion
    available, unavailable = register(con, args.lake, trust)
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"lake {args.lake}, year {args.year}, hub {hub}, {args.runs} runs each; DuckDB {duckdb.__version__}, "
          f"{threads} threads")
    for name, why in unavailable.items():
        print(f"view {name}: n/a (rollup: {why})")
    print()
    print("| report | scope | rows | median s | min s | peak MiB |")
    print("|---|---|---:|---:|---:|---:|")
    results = []
    for name in names:
        path = QUERIES / f"{name}.sql"
        sql, note = path.read_text(), None
        if not referenced(sql) <= available:
            other = raw_version(name, available)
            if other is None:
                missing = ", ".join(sorted(referenced(sql) - available))
                note = f"n/a (rollup: reads {missing})"
            else:
                sql, note = other.read_text(), f"from {other.relative_to(ROOT)}"
        for scope, scope_hub in [("trust", ""), ("hub", hub)]:
            row = {"name": name, "scope": scope, "note": note}
            if note and note.startswith("n/a"):
                print(f"| {name} | {scope} | {note} | | | |")
            else:
                values = {"from": start, "to": end, "school": "", "hub": scope_hub, "min": 3}
                row.update(run_report(con, translate(sql), values, args.runs))
                label = name if note is None else f"{name} ({note})"
                print(f"| {label} | {scope} | {row['rows']} | {fmt(row['median_s'])} | {fmt(row['min_s'])} | "
                      f"{fmt(row['peak_mib'], 0)} |", flush=True)
            results.append(row)
    # Each report's peak was reset before it ran: the process's peak is the largest of them.
    peaks = [r["peak_mib"] for r in results if r.get("peak_mib") is not None]
    peak = max(peaks + [peak_rss_mib()])
    print()
    print(f"peak RSS of this process: {peak:.0f} MiB (VmHWM)")
    if args.json:
        args.json.write_text(json.dumps({
            "engine": "duckdb", "version": duckdb.__version__, "threads": threads, "lake": str(args.lake),
            "year": args.year, "hub": hub, "runs": args.runs, "reports": results, "peak_mib": peak,
            "unavailable_views": unavailable, "translated": [n for n, _ in TRANSLATIONS],
        }, indent=2))
    if args.compare:
        compare(json.loads(args.compare.read_text()), results, peak)


def compare(datafusion: dict, duck: list[dict], duck_peak: float) -> None:
    """Both engines side by side, against the targets: each report within 1.5x of DuckDB,
    the HAB dashboard under 1 s, the service under 1 GiB."""
    ours = {(r["name"], r["scope"]): r for r in datafusion["reports"]}
    print()
    print(f"DataFusion {datafusion.get('version', '?')} (safelake) against DuckDB {duckdb.__version__}, "
          f"year {datafusion['year']}, hub {datafusion['hub']}, medians of {datafusion['runs']} runs")
    print()
    print("| report | scope | rows | DataFusion s | DuckDB s | ratio | within 1.5x | DataFusion MiB | DuckDB MiB |")
    print("|---|---|---:|---:|---:|---:|:-:|---:|---:|")
    for d in duck:
        r = ours.get((d["name"], d["scope"]))
        if r is None:
            continue
        rows = str(r["rows"]) if r["rows"] == d.get("rows", r["rows"]) else f"{r['rows']} / {d.get('rows')} (differ!)"
        if d.get("median_s") is None:
            print(f"| {d['name']} | {d['scope']} | {r['rows']} | {fmt(r['median_s'])} | {d['note']} | | | "
                  f"{fmt(r['peak_mib'], 0)} | |")
            continue
        ratio = r["median_s"] / d["median_s"]
        print(f"| {d['name']} | {d['scope']} | {rows} | {fmt(r['median_s'])} | {fmt(d['median_s'])} | "
              f"{ratio:.2f} | {'yes' if ratio <= 1.5 else 'NO'} | {fmt(r['peak_mib'], 0)} | {fmt(d['peak_mib'], 0)} |")
    dash = datafusion.get("dashboard")
    if dash and "error" in dash:
        print()
        print(f"HAB dashboard {dash['name']}: failed: {dash['error']}")
    elif dash:
        ok = "yes" if dash["median_s"] < 1.0 else "NO"
        print()
        print(f"HAB dashboard {dash['name']}: median {dash['median_s']:.3f} s, min {dash['min_s']:.3f} s, "
              f"ready {dash['ready_s']:.3f} s after start, then first request {dash['first_s']:.3f} s; "
              f"under 1 s: {ok}")
    ok = "yes" if datafusion["peak_mib"] < 1024 else "NO"
    print(f"peak RSS: safelake {datafusion['peak_mib']:.0f} MiB (under 1 GiB: {ok}), DuckDB {duck_peak:.0f} MiB")


if __name__ == "__main__":
    main()
