#!/usr/bin/env bash
# Sets up, builds, and runs an example workflow on the embedded defaults (SQLite in
# ~/.local/share/workflow-engine, the examples in workflows/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release
demo=$(mktemp -d)
echo "project folder: $demo"
cd "$demo"
"$OLDPWD/target/release/workflow-engine" run "$OLDPWD/workflows/function-script-pipeline.ts" --arg topic=demo
"$OLDPWD/target/release/workflow-engine" run "$OLDPWD/workflows/greet-pipeline.yaml" --arg name=World -v
"$OLDPWD/target/release/workflow-engine" runs --limit 5
