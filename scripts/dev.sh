#!/usr/bin/env bash
# Entry point for a fresh machine. Usage:
#   bash scripts/dev.sh quickstart   install, build, load the quickstart pipeline into DuckDB, show it
#   bash scripts/dev.sh test         install, start services, build, run every test
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh

install() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}

case "${1:-}" in
  quickstart)
    install
    npm run build
    rm -f examples/quickstart/quickstart.duckdb examples/quickstart/.mage-int/state/quickstart.json
    node tools/cli/bin/run.js run examples/quickstart/pipeline.yaml
    node examples/quickstart/show.mjs examples/quickstart/quickstart.duckdb
    ;;
  test)
    install
    bash scripts/services.sh
    command -v chromium >/dev/null || apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }  # the UI's browser tests (tools/ui)
    npx biome ci .   # lint (recommended rules, no floating promises, type-only imports) and formatting
    npm run build
    npm run typecheck
    npx vitest run
    ;;
  *)
    echo "usage: bash scripts/dev.sh quickstart|test" >&2; exit 2;;
esac
