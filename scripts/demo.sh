#!/usr/bin/env bash
# Sets up (and builds the web UI), builds, runs an example workflow, then serves the API and the
# web UI on the embedded defaults:
# SQLite in ~/.local/share/workflow-engine, a demo project holding the example workflows.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
scripts/setup.sh
cargo build --release
bin="$repo/target/release/workflow-engine"
demo="${WORKFLOW_ENGINE_DEMO_DIR:-$HOME/workflow-engine-demo}"
mkdir -p "$demo/.agent/workflows/definitions"
cp "$repo"/workflows/*.ts "$repo"/workflows/*.yaml "$demo/.agent/workflows/definitions/"
cd "$demo"
"$bin" run .agent/workflows/definitions/function-script-pipeline.ts --arg topic=demo
"$bin" run .agent/workflows/definitions/greet-pipeline.yaml --arg name=World -v
"$bin" user create --email admin@localhost --password workflow-engine --admin 2>/dev/null || true
bind="${WORKFLOW_ENGINE_BIND:-127.0.0.1:4820}"
echo "open http://$bind and sign in as admin@localhost / workflow-engine"
echo "token for the API: $("$bin" token --email admin@localhost)"
exec "$bin" serve --bind "$bind"
