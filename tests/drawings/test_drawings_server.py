"""The drawings store on a real PostgreSQL server (issue 23): the file's schema through the same
numbered migrations, rows this app did not write never read, writers racing a limit, and a URL's
password never shown. The rules shared with the file run on both (`store_location`)."""

import logging
import threading
import time
import tracemalloc

import numpy as np
import psycopg
import pytest

from mnist_core import settings
from mnist_core.drawings import store_file, store_server
from mnist_core.drawings.store import DrawingRefused, DrawingsDB, location
from mnist_core.errors import MnistError
from tests.drawings.test_drawings_db import COLUMNS, VERSION_2_ROWS, record


@pytest.fixture
def url(postgres_server):
    server, reason = postgres_server
    if server is None:
        pytest.skip(reason)
    return server.create()


def raw(url):
    return psycopg.connect(url, autocommit=True)


def test_a_fresh_database_gets_the_files_schema_through_the_same_numbered_migrations(url):
    assert len(store_server.MIGRATIONS) == len(store_file.MIGRATIONS)  # a new one in each
    db = DrawingsDB(url)
    assert record(db) == 1 and db.count() == 1
    with raw(url) as connection:
        columns = {r[0] for r in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'drawings' "
            "AND table_schema = current_schema()")}
        indexes = {r[0] for r in connection.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'drawings' "
            "AND schemaname = current_schema()")}
        version = connection.execute("SELECT version FROM drawings_schema").fetchall()
        key = connection.execute("SELECT length(key) FROM client_key").fetchall()
    assert columns == COLUMNS  # nothing else about the visitor is kept
    assert {"drawings_by_session", "drawings_by_client", "drawings_by_time",
            "drawings_by_status"} <= indexes
    assert version == [(store_file.SCHEMA_VERSION,)] and key == [(32,)]


def test_migrates_a_version_2_database_keeping_every_row_and_id(url):
    with raw(url) as connection:
        connection.execute("CREATE TABLE drawings_schema (version INTEGER NOT NULL)")
        for statement in store_server.MIGRATIONS[:2]:
            connection.execute(statement)
        connection.execute("INSERT INTO drawings_schema VALUES (2)")
        for created, session, label, predicted in VERSION_2_ROWS:
            connection.execute(
                "INSERT INTO drawings (created, session, language, model, predicted, "
                "probabilities, label, input, crop) VALUES (%s, %s, 'en', 'm', %s, %s, %s, %s, "
                "%s)", (created, session, predicted, bytes(40), label, bytes([label]) * 784,
                        bytes(3136)))
        with pytest.raises(psycopg.errors.CheckViolation):  # that schema refused "not a digit"
            connection.execute("UPDATE drawings SET label = 10 WHERE id = 1")
    db = DrawingsDB(url)
    assert db.pairs()[0].tolist() == [7, 3, 0] and db.pairs()[1].tolist() == [7, 8, 0]
    assert db.relabel(1, "old", 10)  # a row kept its id: its session relabels it
    assert record(db, label=10, session="new", not_digit_score=0.93) == 4
    assert db.session_pairs("old")[0].tolist() == [10, 3]
    assert db.read("SELECT version FROM drawings_schema") == [(store_file.SCHEMA_VERSION,)]


def test_leaves_a_database_from_a_newer_app_untouched(url):
    with raw(url) as connection:
        connection.execute("CREATE TABLE drawings_schema (version INTEGER NOT NULL)")
        connection.execute("INSERT INTO drawings_schema VALUES (99)")
    with pytest.raises(DrawingRefused) as refused:
        record(DrawingsDB(url))
    assert refused.value.reason == "unavailable"
    with raw(url) as connection:
        tables = {r[0] for r in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    assert tables == {"drawings_schema"}


def test_a_table_of_other_types_is_refused_never_read(url, caplog):
    """A table made by hand where the label is text and the image any type: the file tells it
    from each row's `typeof()`, the server from the columns' declared types."""
    with raw(url) as connection:
        connection.execute("CREATE TABLE drawings_schema (version INTEGER NOT NULL)")
        connection.execute(f"INSERT INTO drawings_schema VALUES ({store_file.SCHEMA_VERSION})")
        connection.execute("CREATE TABLE drawings (id BIGINT, created DOUBLE PRECISION, "
                           "session TEXT, language TEXT, model TEXT, predicted INTEGER, "
                           "probabilities BYTEA, label TEXT, input TEXT, crop BYTEA, "
                           "not_digit_score REAL, status TEXT, client TEXT)")
    with caplog.at_level(logging.WARNING, "mnist_core.drawings.store"):
        with pytest.raises(DrawingRefused):
            DrawingsDB(url).images()
    assert "input, label" in caplog.text


def test_rows_of_the_wrong_size_are_told_from_their_length_and_never_read(url):
    """`octet_length()` reads a value's header: measured, 0.7 ms for a 100 MB image that takes
    3.6 s to fetch. Here a 5 MB one: the reads allocate no more than a few rows' worth."""
    db = DrawingsDB(url)
    record(db, label=3)
    with raw(url) as connection:  # the CHECKs let these through: only sizes tell them
        for image in ("'\\x00'::bytea", "convert_to(repeat('a', 5000000), 'UTF8')"):
            connection.execute(
                "INSERT INTO drawings (created, session, language, model, predicted, "
                f"probabilities, label, input, crop) VALUES (0, 's', 'en', 'm', 1, %s, 3, "
                f"{image}, '\\x00')", (bytes(40),))
    tracemalloc.start()
    try:
        assert db.unsound() == 2 and db.count() == 3
        x, y = db.images()
        labels = db.pairs()[0]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert x.shape == (1, 28, 28) and y.tolist() == [3] and len(labels) == 1
    assert peak < 1_000_000  # the 5 MB image was never fetched


def test_two_connections_racing_a_sessions_limit_never_both_pass(url, monkeypatch):
    """Two writers (each its own `DrawingsDB`, so its own connections) record for one session
    at once: the advisory lock makes the count and the insert one step, as `BEGIN IMMEDIATE`
    does in the file."""
    monkeypatch.setenv("MNIST_DRAWINGS_PER_SESSION", "40")
    stores = [DrawingsDB(url, per_minute=100_000) for _ in range(2)]
    start, done = threading.Barrier(2), []

    def writer(db):
        start.wait()
        for i in range(40):
            try:
                record(db, session="shared", now=float(i))
                done.append(1)
            except DrawingRefused as refused:
                assert refused.reason == "yours_full"

    threads = [threading.Thread(target=writer, args=(db,)) for db in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(done) == 40 and stores[0].count() == 40


def test_a_urls_password_is_never_in_a_log_line_nor_a_refusal(postgres_server, monkeypatch,
                                                             caplog):
    server, reason = postgres_server
    if server is None:
        pytest.skip(reason)
    gone = f"postgresql://visitor:hunter2secret@/nowhere?host={server.dir}/missing"
    with caplog.at_level(logging.WARNING, "mnist_core.drawings.store"):
        with pytest.raises(DrawingRefused) as refused:
            record(DrawingsDB(gone))
    assert refused.value.reason == "unavailable" and "hunter2" not in str(refused.value)
    assert "visitor:***@" in caplog.text and "hunter2" not in caplog.text
    monkeypatch.setenv("MNIST_DRAWINGS_URL", "postgresql://visitor:hunter2secret@host:port/db")
    with pytest.raises(MnistError) as unusable:
        location()
    message = str(unusable.value)
    assert message.startswith("The environment variable MNIST_DRAWINGS_URL=")
    assert "hunter2" not in message and "\n" not in message and message.count(". ") == 0


def test_a_server_down_is_tried_again_after_a_while_not_at_every_read(postgres_server,
                                                                       monkeypatch, caplog):
    """Each page's rerun reads the store several times: a server that does not answer would
    cost each read the connection's timeout; it costs the first, then nothing for a while."""
    server, reason = postgres_server
    if server is None:
        pytest.skip(reason)
    gone = DrawingsDB(f"postgresql://postgres@/tests?host={server.dir}/missing")
    tries = []
    connect = psycopg.connect
    monkeypatch.setattr(psycopg, "connect", lambda *a, **k: tries.append(1) or connect(*a, **k))
    with caplog.at_level(logging.WARNING, "mnist_core.drawings.store"):
        for _ in range(3):
            with pytest.raises(DrawingRefused):
                gone.count()
    assert len(tries) == 1 and len(caplog.records) == 1
    monkeypatch.setattr(store_server, "RETRY_SECONDS", 0.0)
    gone.backend._down_until = 0.0  # the while has passed
    with pytest.raises(DrawingRefused):
        gone.count()
    assert len(tries) == 2


@pytest.mark.parametrize("value", ["mysql://u@h/db", "postgresql://u@h/d b", "drawings.sqlite"])
def test_a_url_that_is_no_postgresql_url_is_one_sentence(monkeypatch, value):
    monkeypatch.setenv("MNIST_DRAWINGS_URL", value)
    with pytest.raises(MnistError, match="MNIST_DRAWINGS_URL=.*postgresql://"):
        settings.get("MNIST_DRAWINGS_URL")


def test_the_page_the_trainings_and_the_command_line_open_the_url_s_store(url, monkeypatch,
                                                                          tmp_path):
    """One place decides file or server (`store.location`): with a URL set, the SQLite file is
    neither read nor made."""
    from mnist_core.drawings import trust
    from mnist_core.drawings.training_mix import drawings_extra

    monkeypatch.setattr(trust, "reference_predictor", lambda loader=None: None)
    monkeypatch.setenv("MNIST_DRAWINGS_URL", url)
    assert location() == url
    db = DrawingsDB()
    assert db.path is None and db.location == url
    for i in range(12):
        record(db, label=i % 10, session=f"s{i}", image=np.full((28, 28), i, np.uint8))
    db.write("UPDATE drawings SET status = 'approved'")
    monkeypatch.setenv("MNIST_DRAWINGS_MAX_SHARE", "1")
    extra = drawings_extra()  # what the page's training child and `train --with-drawings` call
    assert len(extra.y_train) + len(extra.y_heldout) == 12
    assert not (tmp_path / "drawings.sqlite").exists()


def test_many_sessions_at_once_share_a_few_connections(url, monkeypatch):
    """Every visitor's page reads the store from its own thread: 40 reading at once must not
    open 40 connections (a server's `max_connections` is 100 for every process and app
    together; past it, every call of every process is refused). They wait their turn on a
    few."""
    db = DrawingsDB(url)
    assert db.count() == 0  # migrated
    # Counted open at once, not opened in all: of the `MOST_OPEN` given back at once only
    # `IDLE_KEPT` stay open, so a busy host may close one and open another later (CI did: 7).
    connect, lock, now_open, most = psycopg.connect, threading.Lock(), [0], [0]

    def counted(*args, **kwargs):
        connection = connect(*args, **kwargs)
        with lock:
            now_open[0] += 1
            most[0] = max(most[0], now_open[0])
        close = connection.close

        def closing():
            with lock:
                now_open[0] -= 0 if connection.closed else 1
            close()

        connection.close = closing
        return connection

    monkeypatch.setattr(psycopg, "connect", counted)
    start, answers = threading.Barrier(40), []

    def visitor():
        start.wait()
        answers.append(db.read("SELECT count(*) FROM drawings, pg_sleep(0.05)"))

    threads = [threading.Thread(target=visitor) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [[(0,)]] * 40
    assert 0 < most[0] <= store_server.MOST_OPEN


@pytest.mark.parametrize("value", [
    "postgresql://visitor:hunter2/x@host/db",  # a / ? # in a password must be percent-encoded
    "postgresql://visitor:hunter2@host:5432,standby:port/db",
    "postgresql://visitor:ab%zzhunter2@host/db",  # libpq's own sentence would quote it
    "postgresql://visitor@host/db?sslpassword=hunter2&fallback=1",  # no such libpq parameter
    "postgresql://visitor@host/db?applicationname=x&password=hunter2"])
def test_a_url_libpq_cannot_read_is_one_sentence_without_its_password(monkeypatch, value):
    """Caught when the setting is read, naming it, rather than at each of a page's calls in
    the log (libpq's own sentence quotes the token it could not read: the password)."""
    monkeypatch.setenv("MNIST_DRAWINGS_URL", value)
    with pytest.raises(MnistError) as unusable:
        location()
    message = str(unusable.value)
    assert message.startswith("The environment variable MNIST_DRAWINGS_URL=")
    assert "hunter2" not in message and "\n" not in message


@pytest.mark.parametrize("value", [
    "postgresql://u:pw@primary:5432,standby:5433/db?target_session_attrs=read-write",
    "postgresql://u@[2001:db8::1]:5432,standby/db", "postgresql:///db?host=/run/postgresql",
    "postgresql://u:hunter2?x@host/db"])  # libpq reads this password with its ?
def test_a_url_libpq_reads_is_taken_a_host_list_too(monkeypatch, value):
    """A primary and its standby, libpq trying each (a deploy over several machines): what a
    connection reads is what the setting takes."""
    monkeypatch.setenv("MNIST_DRAWINGS_URL", value)
    assert location() == value
    assert "hunter2" not in settings.shown_url(value)


def test_a_connection_the_server_ended_while_idle_costs_no_visitor_a_drawing(url):
    """A server restarted, failed over, or ending idle sessions (`idle_session_timeout`) ends
    the connections kept open: the next visitor's drawing goes through a new one, not refused."""
    db = DrawingsDB(url)
    assert record(db) == 1
    [(pid,)] = db.read("SELECT pg_backend_pid()")  # the connection kept open
    with raw(url) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchall():
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert record(db) == 2 and db.count() == 2


def test_the_megabytes_a_deployer_allows_bound_what_the_server_holds(url, monkeypatch):
    """`MNIST_DRAWINGS_MAX_MB` on the server: rows of the largest kind the page can write (a
    noise drawing no compression shrinks, the longest names) until the store is full; the
    table, its TOAST and its indexes then take no more than allowed. (The file counts its pages.)"""
    for limit in ("PER_SESSION", "PER_CLIENT", "PER_HOUR", "PER_CLIENT_HOUR"):
        monkeypatch.setenv(f"MNIST_DRAWINGS_{limit}", "100000")
    allowed = 1_000_000
    db = DrawingsDB(url, max_bytes=allowed, per_minute=100_000)
    rng, wide = np.random.default_rng(0), chr(0x1D7D8)  # 4 bytes in UTF-8
    with pytest.raises(DrawingRefused) as refused:
        for i in range(allowed // 1000):
            record(db, session=wide * 63 + str(i % 10), model=wide * 200, now=float(i),
                   client=f"10.0.{i // 250}.{i % 250}", not_digit_score=0.5,
                   image=rng.integers(0, 256, (28, 28), np.uint8),
                   crop=rng.integers(0, 256, (56, 56), np.uint8))
    assert refused.value.reason == "full"
    with raw(url) as connection:
        taken = connection.execute("SELECT pg_total_relation_size('drawings')").fetchone()[0]
    assert taken <= allowed


def test_the_hours_limit_holds_across_machines_whose_clocks_differ(url, monkeypatch):
    """Machines sharing the server: one whose clock is two hours behind wrote rows the others
    read as two hours old, outside every hour's and minute's count. The server's clock times
    every row."""
    monkeypatch.setenv("MNIST_DRAWINGS_PER_HOUR", "2")
    machines = [DrawingsDB(url) for _ in range(2)]
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 7200)  # the first machine's clock
    record(machines[0], session="a")
    record(machines[0], session="b")
    monkeypatch.setattr(time, "time", real)
    with pytest.raises(DrawingRefused) as refused:
        record(machines[1], session="c")
    assert refused.value.reason == "busy"
    created = [c for (c,) in machines[1].read("SELECT created FROM drawings")]
    assert all(abs(c - real()) < 60 for c in created)


def test_a_role_that_may_only_read_and_write_rows_uses_a_migrated_store(url):
    """A deployer's DBA migrates once with the owner's role and runs the app with one that may
    not create tables (docs/drawings.md: CREATE is needed on first use only)."""
    record(DrawingsDB(url))  # made and migrated by the owner
    with raw(url) as owner:
        schema = owner.execute("SELECT current_schema()").fetchone()[0]
        role = f"app_{schema}"
        owner.execute(f"CREATE ROLE {role} LOGIN")
        owner.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        owner.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} "
                      f"TO {role}")
        owner.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
    app = DrawingsDB(url.replace("postgres@", f"{role}@"))
    assert record(app, session="s2") == 2 and app.count() == 2
