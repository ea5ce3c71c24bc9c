"""The dlt side of bench/replication.py: one dlt pipeline, run by the private venv's Python.

Not for the shared environment: bench/replication.py runs this file with bench/.venv-dlt/bin/python
(dlt and its dependencies live only there) and passes a JSON spec as the one argument:
{"source": SQLAlchemy URL, "destination": "postgres" | "sqlalchemy", "destination_url": URL,
 "dataset": name, "pipelines_dir": dir}. It reads ``bench_rows`` with ``sql_table(backend="pyarrow")``,
incremental on ``id``, and loads it with ``write_disposition="merge"`` on the primary key ``id`` — dlt's
documented way to replicate a table — with every other setting at dlt's default. It prints one JSON
line: time.monotonic() (CLOCK_MONOTONIC, comparable with the parent's) after its imports and at the end
of the load, and the load's row counts.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    spec = json.loads(sys.argv[1])
    import dlt
    from dlt.sources.sql_database import sql_table

    imported = time.monotonic()
    table = sql_table(credentials=spec["source"], table="bench_rows", backend="pyarrow",
                      incremental=dlt.sources.incremental("id"))
    if spec["destination"] == "postgres":
        destination = dlt.destinations.postgres(credentials=spec["destination_url"])
    else:  # dlt has no MariaDB/MySQL destination of its own; its SQLAlchemy destination writes to MySQL
        destination = dlt.destinations.sqlalchemy(credentials=spec["destination_url"])
    pipeline = dlt.pipeline(pipeline_name=spec["dataset"], destination=destination, dataset_name=spec["dataset"],
                            pipelines_dir=spec["pipelines_dir"])
    info = pipeline.run(table, write_disposition="merge", primary_key="id")
    loaded = time.monotonic()
    info.raise_on_failed_jobs()
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    print(json.dumps({"imported": imported, "loaded": loaded, "row_counts": dict(counts),
                      "dlt_version": dlt.__version__}), flush=True)


if __name__ == "__main__":
    main()
