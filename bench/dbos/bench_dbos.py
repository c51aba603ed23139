"""B1/B2 on DBOS Transact for Python, for the side-by-side in BENCHMARKS.md.

One @DBOS.workflow() making 40 @DBOS.step() calls: B1 steps return a small dict, B2 steps run
`sh -c true` (what our `script` step runs). The workflow is timed from call to return after a
warm-up run; per step = total / 40. B2 also times the bare subprocess spawn of `true` in this
process (x40), so the net figure subtracts the same thing ours does.

Usage: bench_dbos.py --dir SCRATCH --reps N [--store default|wal-normal|postgres --database-url URL]
                     [--paired]
(`postgres`: DBOS's system database on that PostgreSQL, the one our side ran on.)
Prints one JSON object on stdout.

--paired: the reps are driven from stdin, so that they alternate with ours (a burst of load on
the machine then slows both sides of a pair, not one side's whole series). After the warm-up it
prints `{"ready": true}`; each line `b1` or `b2` runs one timed rep and prints its figures as a
JSON line; `end` (or the end of stdin) prints the summary object as without --paired.
"""

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time

STEPS = 40


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--store", choices=["default", "wal-normal", "postgres"], default="default")
    ap.add_argument("--database-url", help="postgresql://… for --store postgres")
    ap.add_argument("--paired", action="store_true", help="reps driven from stdin, one at a time")
    a = ap.parse_args()
    if a.store == "postgres" and not a.database_url:
        ap.error("--store postgres needs --database-url")
    os.makedirs(a.dir, exist_ok=True)
    os.chdir(a.dir)
    db_file = os.path.join(a.dir, f"bench_{a.store.replace('-', '_')}.sqlite")
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(db_file + suffix):
            os.remove(db_file + suffix)

    from dbos import DBOS  # imported late so --help works without it

    config = {"name": "bench", "system_database_url": f"sqlite:///{db_file}", "log_level": "WARNING"}
    if a.store == "postgres":
        config["system_database_url"] = a.database_url.replace("postgres://", "postgresql://", 1)
    if a.store == "wal-normal":
        import sqlalchemy as sa
        from sqlalchemy import event

        engine = sa.create_engine(f"sqlite:///{db_file}")

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # as DBOS's own engine, plus WAL/NORMAL like ours
            conn.isolation_level = "IMMEDIATE"
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")

        del config["system_database_url"]
        config["system_database_engine"] = engine

    DBOS(config=config)

    @DBOS.step()
    def small(i: int) -> dict:
        return {"i": i, "ok": True}

    @DBOS.step()
    def true_step(i: int) -> int:
        return subprocess.run(["sh", "-c", "true"], check=True).returncode

    @DBOS.workflow()
    def b1() -> int:
        for i in range(STEPS):
            small(i)
        return STEPS

    @DBOS.workflow()
    def b2() -> int:
        for i in range(STEPS):
            true_step(i)
        return STEPS

    DBOS.launch()
    pragmas = read_pg_settings() if a.store == "postgres" else read_pragmas(db_file)

    def time_workflow(fn) -> float:
        t = time.perf_counter()
        assert fn() == STEPS
        return (time.perf_counter() - t) * 1000.0

    def bare_true() -> float:
        t = time.perf_counter()
        for _ in range(STEPS):
            subprocess.run(["true"], check=True)
        return (time.perf_counter() - t) * 1000.0 / STEPS

    out = {"store": a.store, "pragmas": pragmas, "b1_ms_per_step": [], "b2_raw_ms_per_step": [],
           "bare_true_ms": [], "b2_net_ms_per_step": []}

    def rep_b1() -> dict:
        ms = time_workflow(b1) / STEPS
        out["b1_ms_per_step"].append(ms)
        return {"b1_ms_per_step": ms}

    def rep_b2() -> dict:
        raw = time_workflow(b2) / STEPS
        bare = bare_true()
        out["b2_raw_ms_per_step"].append(raw)
        out["bare_true_ms"].append(bare)
        out["b2_net_ms_per_step"].append(raw - bare)
        return {"b2_raw_ms_per_step": raw, "bare_true_ms": bare, "b2_net_ms_per_step": raw - bare}

    time_workflow(b1)  # warm-up
    time_workflow(b2)
    out["paired"] = a.paired
    if a.paired:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            what = line.strip()
            if what == "end":
                break
            if what not in ("b1", "b2"):
                print(json.dumps({"error": f"unknown command {what!r}"}), flush=True)
                continue
            print(json.dumps(rep_b1() if what == "b1" else rep_b2()), flush=True)
    else:
        for _ in range(a.reps):
            rep_b1()
        for _ in range(a.reps):
            rep_b2()
    out["steps_recorded"] = count_pg_steps() if a.store == "postgres" else count_steps(db_file)
    import importlib.metadata as md

    out["dbos_version"] = md.version("dbos")
    out["python"] = sys.version.split()[0]
    out["sqlite"] = sqlite3.sqlite_version
    for k in ("b1_ms_per_step", "b2_raw_ms_per_step", "b2_net_ms_per_step", "bare_true_ms"):
        out[k + "_median"] = statistics.median(out[k]) if out[k] else None
    DBOS.destroy()
    print(json.dumps(out))


def read_pragmas(db_file: str) -> dict:
    """The settings DBOS's own connections run with: journal_mode from the file, synchronous
    from a connection of DBOS's engine (it is per connection)."""
    result = {}
    try:
        from dbos._dbos import _get_dbos_instance

        engine = _get_dbos_instance()._sys_db.engine
        with engine.connect() as c:
            import sqlalchemy as sa

            for p in ("journal_mode", "synchronous", "locking_mode"):
                result[p] = c.execute(sa.text(f"PRAGMA {p}")).scalar()
    except Exception as e:  # the internals moved: fall back to the file's persistent mode
        result["error"] = repr(e)
        with sqlite3.connect(db_file) as c:
            result["journal_mode"] = c.execute("PRAGMA journal_mode").fetchone()[0]
    return result


def _sys_engine():
    from dbos._dbos import _get_dbos_instance

    return _get_dbos_instance()._sys_db.engine


def pg_scalar(sql: str):
    import sqlalchemy as sa

    with _sys_engine().connect() as c:
        return c.execute(sa.text(sql)).scalar()


def read_pg_settings() -> dict:
    """The PostgreSQL settings DBOS's connections run with."""
    return {k: str(pg_scalar(f"SHOW {k}")) for k in ("server_version", "fsync", "synchronous_commit")}


def count_pg_steps() -> int:
    try:
        return int(pg_scalar("SELECT COUNT(*) FROM dbos.operation_outputs"))
    except Exception:
        return -1


def count_steps(db_file: str) -> int:
    """Step outputs DBOS recorded (so the benchmark cannot silently measure nothing)."""
    with sqlite3.connect(db_file) as c:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        table = next((t for t in tables if t.endswith("operation_outputs")), None)
        return c.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] if table else -1


if __name__ == "__main__":
    main()
