#!/usr/bin/env bash
# Sets up and runs every test: the JS runtime's tests (node) and the Rust suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd runtime-js && npm ci --no-audit --no-fund --loglevel=error && npm test)
cargo test --all-targets
