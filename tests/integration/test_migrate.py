"""``dbconnect migrate`` on real PostgreSQL and MariaDB: apply, re-apply, changed and failing files."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from dbconnect.migrate import HISTORY_TABLE, MigrationError, run_migrations

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

# Per database: a table, a statement that fails, and a statement before it that PostgreSQL rolls back.
SQL = {
    "postgresql": {
        "create": "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(8,2));",
        "insert": "INSERT INTO items (name, price) VALUES ('pen', 1.50), ('ink', 3.25); -- 100% sure",
        "bad": "CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);",
    },
    "mariadb": {
        "create": "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, "
                  "price DECIMAL(8,2));",
        "insert": "INSERT INTO items (name, price) VALUES ('pen', 1.50), ('ink', 3.25); -- 100% sure",
        "bad": "CREATE TABLE half_done (id INT);\nINSERT INTO no_such_table VALUES (1);",
    },
}


@pytest.fixture(params=["postgresql", "mariadb"])
def database(request):
    """(family, server, url of a fresh database) — the URL carries no password, like a user's."""
    family = request.param
    server = request.getfixturevalue("postgres" if family == "postgresql" else "mariadb")
    name = f"mig_{uuid.uuid4().hex[:10]}"
    server.create_database(name)
    url = server.jdbc_url(name) + f"?user={server.user}"
    yield family, server, name, url
    server.drop_database(name)


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


def history(server, name: str) -> list[str]:
    return [r[0] for r in server.execute(f"SELECT name FROM {HISTORY_TABLE} ORDER BY version", dbname=name)]


def test_apply_once_in_order_then_nothing(database, tmp_path):
    family, server, name, url = database
    sql = SQL[family]
    directory = write(tmp_path / "m", {"002_seed_items.sql": sql["insert"], "001_create_items.sql": sql["create"]})

    report = run_migrations(url, directory, password=server.password)
    assert report.applied == ["001_create_items.sql", "002_seed_items.sql"]
    assert history(server, name) == ["001_create_items.sql", "002_seed_items.sql"]
    checksum, ms = server.execute(f"SELECT checksum, execution_ms FROM {HISTORY_TABLE} WHERE version = 1",
                                  dbname=name)[0]
    assert len(checksum) == 64 and ms >= 0

    again = run_migrations(url, directory, password=server.password)
    assert again.applied == [] and again.skipped == ["001_create_items.sql", "002_seed_items.sql"]
    # The INSERT ran once: re-applying it would have doubled the rows.
    assert server.execute("SELECT count(*) FROM items", dbname=name)[0][0] == 2


def test_new_file_applied_after_the_old_ones(database, tmp_path):
    family, server, name, url = database
    directory = write(tmp_path / "m", {"001_create_items.sql": SQL[family]["create"]})
    run_migrations(url, directory, password=server.password)
    write(directory, {"002_seed_items.sql": SQL[family]["insert"]})
    assert run_migrations(url, directory, password=server.password).applied == ["002_seed_items.sql"]


def test_changed_applied_file_is_refused_and_nothing_runs(database, tmp_path):
    family, server, name, url = database
    directory = write(tmp_path / "m", {"001_create_items.sql": SQL[family]["create"]})
    run_migrations(url, directory, password=server.password)
    write(directory, {"001_create_items.sql": SQL[family]["create"] + "\n-- edited",
                      "002_seed_items.sql": SQL[family]["insert"]})
    with pytest.raises(MigrationError, match=r"001_create_items\.sql has changed since it was applied"):
        run_migrations(url, directory, password=server.password)
    assert history(server, name) == ["001_create_items.sql"]
    assert server.execute("SELECT count(*) FROM items", dbname=name)[0][0] == 0


def test_failing_file_is_reported_and_the_ones_before_stay_recorded(database, tmp_path):
    family, server, name, url = database
    sql = SQL[family]
    directory = write(tmp_path / "m", {"001_create_items.sql": sql["create"], "002_seed_items.sql": sql["insert"],
                                       "003_broken.sql": sql["bad"], "004_more.sql": sql["insert"]})
    with pytest.raises(MigrationError) as info:
        run_migrations(url, directory, password=server.password)
    message = str(info.value)
    assert "Migration 003_broken.sql failed" in message and "no_such_table" in message
    assert "001_create_items.sql, 002_seed_items.sql" in message
    assert history(server, name) == ["001_create_items.sql", "002_seed_items.sql"]
    assert server.execute("SELECT count(*) FROM items", dbname=name)[0][0] == 2  # 004 never ran
    tables = {r[0] for r in server.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name = 'half_done'", dbname=name)}
    if family == "postgresql":
        assert tables == set()  # the whole file rolled back with its failing statement
    else:
        assert tables == {"half_done"}  # MariaDB commits DDL implicitly (documented)
        server.execute("DROP TABLE half_done", dbname=name)

    write(directory, {"003_broken.sql": sql["create"].replace("items", "fixed")})
    assert run_migrations(url, directory, password=server.password).applied == ["003_broken.sql", "004_more.sql"]
    assert server.execute("SELECT count(*) FROM items", dbname=name)[0][0] == 4


def test_removed_or_out_of_order_files_are_refused(database, tmp_path):
    family, server, name, url = database
    directory = write(tmp_path / "m", {"001_create_items.sql": SQL[family]["create"],
                                       "005_seed_items.sql": SQL[family]["insert"]})
    run_migrations(url, directory, password=server.password)
    write(directory, {"003_late.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match=r"003_late\.sql is numbered below an applied migration"):
        run_migrations(url, directory, password=server.password)
    (directory / "003_late.sql").unlink()
    (directory / "005_seed_items.sql").unlink()
    with pytest.raises(MigrationError, match=r"005_seed_items\.sql is missing from the migration directory"):
        run_migrations(url, directory, password=server.password)


def test_concurrent_runners_apply_each_file_once(database, tmp_path):
    family, server, name, url = database
    directory = write(tmp_path / "m", {"001_create_items.sql": SQL[family]["create"],
                                       "002_seed_items.sql": SQL[family]["insert"]})
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_migrations(url, directory, password=server.password)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert server.execute("SELECT count(*) FROM items", dbname=name)[0][0] == 2


@pytest.mark.parametrize("family", ["postgresql", "mariadb"])
def test_cli_applies_the_shipped_migrations(family, request, tmp_path):
    """The docs' command (docs/standalone.md, "Migrations") on the repository's own migrations/ directory, twice."""
    server = request.getfixturevalue("postgres" if family == "postgresql" else "mariadb")
    name = f"mig_{uuid.uuid4().hex[:10]}"
    server.create_database(name)
    try:
        command = [sys.executable, "-m", "dbconnect.cli", "migrate", "--url", server.jdbc_url(name),
                   "--user", server.user, "--dir", str(ROOT / "migrations" / family)]
        env = {**os.environ, "DBCONNECT_MIGRATE_PASSWORD": server.password}
        first = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
        assert first.returncode == 0, first.stderr
        shipped = sorted(p.name for p in (ROOT / "migrations" / family).glob("*.sql"))
        assert [line.split()[1] for line in first.stdout.splitlines() if line.startswith("applied ")] == shipped
        second = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
        assert second.returncode == 0, second.stderr
        assert second.stdout.startswith("0 migration(s) applied")
        assert history(server, name) == shipped
    finally:
        server.drop_database(name)


def test_cli_bad_input_is_one_clear_line(postgres, tmp_path):
    base = [sys.executable, "-m", "dbconnect.cli", "migrate"]
    cases = [
        (["--url", "oracle://h/db", "--dir", str(tmp_path)], "Unsupported database in connection.url"),
        (["--url", postgres.jdbc_url(), "--dir", str(tmp_path / "nope")], "does not exist or is not a directory"),
        (["--url", f"jdbc:postgresql://127.0.0.1:{postgres.port}/dbconnect?user={postgres.user}&password=Wr0ngPass!",
          "--dir", str(ROOT / "migrations" / "postgresql")], "Could not connect to postgresql://"),
    ]
    for args, expected in cases:
        result = subprocess.run(base + args, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1, result
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], result.stderr
        assert "Wr0ngPass!" not in result.stderr
