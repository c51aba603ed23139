#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine (run as root; PostgreSQL
# included), then builds
# the web UI (web/dist, served by `workflow-engine serve`, tested by web/e2e in chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(build-essential)
[ -f /usr/include/simde/simde-common.h ] || need+=(libsimde-dev)
command -v node >/dev/null || need+=(nodejs npm)
command -v git >/dev/null || need+=(git)
[ -x /usr/bin/chromium ] || need+=(chromium)
# PostgreSQL for the suite's second pass (`workflow_engine::testing::pg` starts its own cluster
# with Debian's initdb; the package's own cluster is not used).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
command -v cargo >/dev/null || { echo "error: cargo is required (install Rust from rustup)" >&2; exit 1; }

# The web UI: npm ci again only when the lockfile changed since the last install.
if [ -f web/package.json ]; then
  if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    npm --prefix web ci --no-audit --no-fund --loglevel=error
  fi
  npm --prefix web run build
fi
