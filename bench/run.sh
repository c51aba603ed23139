#!/usr/bin/env bash
# The benchmark suite: builds in release mode, runs every scenario (B1–B13) several times plus
# B1/B2 on DBOS Transact for Python, and writes BENCHMARKS.md. Not part of the test command.
#
#   bench/run.sh                      # everything; writes BENCHMARKS.md
#   bench/run.sh --only B1,B4         # some scenarios; writes target/bench/last-run.md
#   bench/run.sh --no-dbos            # skip the DBOS side-by-side
#   bench/run.sh --pg                 # on PostgreSQL: B1, B2 (+ DBOS on the same server), B5N, B14
#   bench/run.sh --pg --pg-sync off --only B1,B2   # the same with synchronous_commit=off
#
# --pg starts a PostgreSQL cluster of the suite's own (Debian's initdb, durable: fsync on) and
# rewrites only its own section of BENCHMARKS.md (one per scenario list and synchronous_commit).
# Other flags go to the driver (examples/bench/main.rs): --reps N (default 7), --heavy-reps N
# (B5, B8; default 3), --samples N (B4; B6 takes 10x; default 30), --out FILE.
# Scratch data lives in $TMPDIR/workflow-engine-bench (the DBOS virtualenv in target/bench/dbos-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
command="bench/run.sh${*:+ $*}"

want_dbos=1
want_pg=0
only=""
prev=""
for a in "$@"; do
    [[ "$a" == "--no-dbos" ]] && want_dbos=0
    [[ "$a" == "--pg" ]] && want_pg=1
    [[ "$prev" == "--only" ]] && only="$a"
    prev="$a"
done
if [[ -n "$only" && ! ",${only^^}," =~ ,B[12], ]]; then
    want_dbos=0
fi

# What the build needs (as scripts/setup.sh, without the web UI and its browser).
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(build-essential)
[[ -f /usr/include/simde/simde-common.h ]] || need+=(libsimde-dev)
if [[ $want_pg == 1 ]]; then
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
    command -v psql >/dev/null || need+=(postgresql-client)
fi
if [[ ${#need[@]} -gt 0 ]]; then
    echo "[bench] installing ${need[*]} with apt-get (needs root)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}"
fi
command -v cargo >/dev/null || { echo "error: cargo is required (install Rust from rustup)" >&2; exit 1; }

echo "[bench] building in release mode (the first build takes a while)" >&2
cargo build --release --bins --example bench

mkdir -p target/bench
dbos_args=()
if [[ $want_dbos == 1 ]]; then
    venv="$root/target/bench/dbos-venv"
    why=""
    if [[ ! -x "$venv/bin/python" ]]; then
        echo "[bench] making a Python virtualenv for DBOS in $venv" >&2
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            rm -rf "$venv"
            if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
                echo "[bench] python3 -m venv failed: installing python3-venv with apt-get (as root)" >&2
                apt-get install -y python3-venv >/dev/null 2>&1 || true
            fi
            python3 -m venv "$venv" >/dev/null 2>&1 || why="cannot make a Python virtualenv (python3 -m venv failed; install python3-venv)"
        fi
    fi
    if [[ -z "$why" ]] && ! "$venv/bin/python" -c "import dbos" 2>/dev/null; then
        echo "[bench] pip install dbos (into $venv)" >&2
        if ! "$venv/bin/pip" install --quiet --disable-pip-version-check dbos >target/bench/pip.log 2>&1; then
            why="pip install dbos failed (no network?): $(tail -n 1 target/bench/pip.log)"
        fi
    fi
    if [[ -z "$why" ]]; then
        dbos_args=(--dbos-python "$venv/bin/python")
    else
        echo "[bench] DBOS side-by-side skipped: $why" >&2
        dbos_args=(--dbos-unavailable "$why")
    fi
fi

exec "${CARGO_TARGET_DIR:-target}/release/examples/bench" --command "$command" "${dbos_args[@]}" "$@"
