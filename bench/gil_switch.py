"""How long a database write takes while another thread runs Python, per GIL switch interval.

Usage: python bench/gil_switch.py [--rows 60000] [--batch 3000]

The JDBC sink writes on a helper thread while the task thread converts records (pure Python,
always busy under load). The writer holds the GIL only for moments between its waits on the
database — each COPY chunk, each statement's result, the commit — but CPython hands the GIL over
from a busy thread only every switch interval (``sys.setswitchinterval``, 5 ms by default), so
every one of those moments can cost up to 5 ms. This measures it on an embedded PostgreSQL: upserts
of ``--batch`` rows (binary COPY into a temp table + INSERT … SELECT … ON CONFLICT, as the sink
does) alone, then with a thread spinning in Python, for several switch intervals. Prints the
median write time of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import jdbc_sink as B  # noqa: E402

from dbconnect.embedded import EmbeddedPostgres  # noqa: E402

TYPES = ["int8", "int4", "varchar", "varchar", "numeric", "float8", "bool", "timestamp", "date", "text"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=3000)
    args = parser.parse_args()
    rows = B.make_rows(args.rows)
    cols = ", ".join(B.COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in B.COLUMNS[1:])
    with EmbeddedPostgres() as pg:
        B.Target("postgresql", pg).create("dst", [])
        conn = pg.connect(autocommit=False)
        conn.execute("CREATE TEMP TABLE stage (LIKE dst) ON COMMIT DELETE ROWS")
        conn.commit()

        def write(batch: list[tuple]) -> None:
            with conn.cursor().copy("COPY stage FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(TYPES)
                for row in batch:
                    copy.write_row(row)
            conn.execute(f"INSERT INTO dst ({cols}) SELECT {cols} FROM stage ON CONFLICT (id) DO UPDATE SET {updates}")
            conn.commit()

        stop = threading.Event()

        def busy() -> None:  # stands in for the task thread converting records
            x = 0
            while not stop.is_set():
                for i in range(1000):
                    x += i * i

        def run(label: str, competing: bool, interval: float) -> None:
            before = sys.getswitchinterval()
            sys.setswitchinterval(interval)
            stop.clear()
            thread = threading.Thread(target=busy) if competing else None
            if thread is not None:
                thread.start()
            times = []
            try:
                for i in range(0, len(rows), args.batch):
                    start = time.perf_counter()
                    write(rows[i:i + args.batch])
                    times.append(time.perf_counter() - start)
            finally:
                stop.set()
                if thread is not None:
                    thread.join()
                sys.setswitchinterval(before)
            print(f"{label:42} median write of {args.batch} rows {statistics.median(times) * 1000:7.1f} ms", flush=True)

        run("alone", False, 0.005)
        for interval in (0.005, 0.002, 0.001, 0.0005):
            run(f"busy Python thread, switch {interval * 1000:g} ms", True, interval)
        run("alone", False, 0.005)
        conn.close()


if __name__ == "__main__":
    main()
