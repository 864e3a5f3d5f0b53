#!/usr/bin/env python3
"""An outside reader of the lake's Delta tables, with delta-rs (PyPI `deltalake` 1.x, which
scripts/setup installs into its venv; no pyarrow needed).

    python delta_reader.py --stop-file PATH [--interval-ms 50] TABLE_URL:KEY_COLUMN ...

TABLE_URL is a local path, a file:// URL or an s3:// URL; KEY_COLUMN, the table's unique
column, may be empty (`s3://bucket/lake/audit_log:`). Until PATH exists (and then for one
last round), each round opens the latest version of every table and reads it whole, only the
key column, and prints one JSON line per table, flushed:

    {"table": "filter_events", "version": 7, "rows": 1200, "distinct": 1200}
    {"table": "audit_log", "missing": true}        no _delta_log yet
    {"table": "rejects", "error": "..."}           the read raised; the next round goes on

`distinct` counts the distinct non-null keys (so a null key shows as distinct < rows); for a
table without a key it equals `rows`. The table's name is its URL's last path segment.

For s3:// URLs the storage options come from the standard variables AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (else
AWS_DEFAULT_REGION), AWS_ALLOW_HTTP and AWS_VIRTUAL_HOSTED_STYLE_REQUEST. Reading needs no
locking provider (delta-rs asks for one, or AWS_S3_ALLOW_UNSAFE_RENAME, only to commit).
"""

import argparse
import json
import os
import re
import sys
import time

from deltalake import DeltaTable, QueryBuilder
from deltalake.exceptions import TableNotFoundError

S3_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ALLOW_HTTP",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
)

# delta-rs colours its error chains for a terminal.
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Types whose column is cheapest to read whole when a table has no key: fixed width.
FIXED_WIDTH = {"long", "integer", "short", "byte", "boolean", "date", "timestamp", "timestamp_ntz",
               "double", "float"}


def storage_options(url):
    if not url.startswith(("s3://", "s3a://")):
        return None
    options = {name: os.environ[name] for name in S3_VARIABLES if os.environ.get(name)}
    if "AWS_REGION" not in options and os.environ.get("AWS_DEFAULT_REGION"):
        options["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
    return options


def parse_table(arg):
    """`URL:KEY` -> (name, url, key); a colon that is only the URL's scheme's means no key."""
    url, colon, key = arg.rpartition(":")
    if not colon or "/" in key:
        url, key = arg, ""
    url = url.rstrip("/")
    name = url.rsplit("/", 1)[-1]
    return name, url, key


def quote(column):
    return '"' + column.replace('"', '""') + '"'


def count_column(table):
    """The column to read to count a keyless table's rows: its data must be read, and the
    count(*) of SQL is answered from the log's file statistics without opening a file."""
    partitions = set(table.metadata().partition_columns)
    fields = [f for f in table.schema().fields if f.name not in partitions]
    if not fields:
        return None
    for field in fields:
        if getattr(field.type, "type", None) in FIXED_WIDTH:
            return field.name
    return fields[0].name


def read(name, url, key, options):
    try:
        table = DeltaTable(url, storage_options=options)
    except TableNotFoundError:
        return {"table": name, "missing": True}
    version = table.version()
    if key:
        sql = f"SELECT count(*), count(DISTINCT {quote(key)}) FROM t"
        batch = QueryBuilder().register("t", table).execute(sql).read_all()
        rows = batch.column(0).to_pylist()[0]
        distinct = batch.column(1).to_pylist()[0]
    else:
        column = count_column(table)
        if column is None:
            batch = QueryBuilder().register("t", table).execute("SELECT count(*) FROM t").read_all()
            rows = batch.column(0).to_pylist()[0]
        else:
            rows = sum(b.num_rows for b in table.scan(columns=[column]))
        distinct = rows
    return {"table": name, "version": version, "rows": rows, "distinct": distinct}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--interval-ms", type=int, default=50)
    parser.add_argument("tables", nargs="+", metavar="TABLE_URL:KEY_COLUMN")
    args = parser.parse_args()
    tables = [parse_table(t) for t in args.tables]
    options = {url: storage_options(url) for _, url, _ in tables}
    while True:
        last = os.path.exists(args.stop_file)
        for name, url, key in tables:
            try:
                line = read(name, url, key, options[url])
            except Exception as e:  # noqa: BLE001 - every failure is reported, then the next read
                line = {"table": name, "error": ANSI.sub("", f"{type(e).__name__}: {e}")}
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
        if last:
            return 0
        time.sleep(args.interval_ms / 1000)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
