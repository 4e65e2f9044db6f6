#!/usr/bin/env bash
# The two commands of this project:
#   ./run.sh        install what is missing (Debian 12, as root) and start the call center
#   ./run.sh test   install what the tests need and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-start}" in
  start)
    bash scripts/setup.sh run
    . .cache/env
    exec node --import tsx main.ts
    ;;
  test)
    bash scripts/setup.sh --test
    . .cache/env
    if [ -f .cache/test-postgres-password ] && [ -z "${TEST_DATABASE_ADMIN_URL:-}" ]; then
      export TEST_DATABASE_ADMIN_URL="postgres://postgres:$(cat .cache/test-postgres-password)@127.0.0.1:5432/postgres"
    fi
    exec node --import tsx test/run.ts
    ;;
  *)
    echo "usage: ./run.sh [start|test]" >&2
    exit 2
    ;;
esac
