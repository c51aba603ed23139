#!/usr/bin/env bash
# Sets up and runs every test: the JS runtime's tests (node), the Rust suite on SQLite and
# again on PostgreSQL, then the web UI's unit tests and its end-to-end tests (chromium against
# the debug binary that `cargo test` built, serving web/dist).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd runtime-js && npm ci --no-audit --no-fund --loglevel=error && npm test)
# The integration tests wait on processes, servers and timers far more than they compute (40%
# of two cores at two at a time): four at a time take 60% of the wall time two take.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-4}"
cargo test --all-targets
# The same suite again on PostgreSQL (a cluster of the tests' own, a database per sandbox):
# the integration tests, then the library's tests that open a store.
pg_started=$(date +%s)
WORKFLOW_ENGINE_TEST_PG=1 cargo test --test it
WORKFLOW_ENGINE_TEST_PG=1 cargo test --lib store::
echo "PostgreSQL pass: $(( $(date +%s) - pg_started )) s"
# The web tests use the binary `cargo test` built (its OpenAPI document for the API types'
# check; the server for e2e): a `cargo run` here would build the crate again, with the
# features of the dependencies unified differently without the dev-dependencies (about four
# minutes on two cores).
export WORKFLOW_ENGINE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/workflow-engine"
npm --prefix web test
npm --prefix web run e2e
