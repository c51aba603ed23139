#!/usr/bin/env bash
# Sets up and runs every test: the JS runtime's tests (node), the Rust suite, then the web UI's
# unit tests and its end-to-end tests (chromium against the debug binary that `cargo test`
# built, serving web/dist).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd runtime-js && npm ci --no-audit --no-fund --loglevel=error && npm test)
cargo test --all-targets
npm --prefix web test
npm --prefix web run e2e
