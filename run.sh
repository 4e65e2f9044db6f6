#!/usr/bin/env bash
# The two commands of this project:
#   ./run.sh        install what is missing (Debian 12, as root) and start the call center
#   ./run.sh test   install what the tests need and run the whole test suite
# and for operators:
#   ./run.sh serve            start without the install step (what the systemd unit runs)
#   ./run.sh install-service  install and start the systemd unit (scripts/callcenter.service)
#   ./run.sh backup [FILE]   back the data directory up (while the call center runs, or not)
#   ./run.sh restore FILE    restore a backup into an empty (or new) data directory
set -euo pipefail
caller_dir=$PWD
cd "$(dirname "$0")"
case "${1:-start}" in
  start)
    bash scripts/setup.sh run
    . .cache/env
    exec node --import tsx main.ts
    ;;
  serve)
    [ -f .cache/env ] || { echo "run ./run.sh once first: it installs what is needed" >&2; exit 1; }
    . .cache/env
    exec node --import tsx main.ts
    ;;
  install-service)
    command -v systemctl >/dev/null 2>&1 || { echo "systemd is not on this machine" >&2; exit 1; }
    [ "$(id -u)" -eq 0 ] || { echo "install-service needs root" >&2; exit 1; }
    bash scripts/setup.sh run
    sed "s#@DIR@#$(pwd)#g" scripts/callcenter.service > /etc/systemd/system/callcenter.service
    [ -f /etc/callcenter.env ] || install -m 600 /dev/null /etc/callcenter.env
    systemctl daemon-reload
    systemctl enable --now callcenter.service
    echo "installed: systemctl status callcenter; settings in /etc/callcenter.env; logs: journalctl -u callcenter"
    ;;
  test)
    bash scripts/setup.sh --test
    . .cache/env
    if [ -f .cache/test-postgres-password ] && [ -z "${TEST_DATABASE_ADMIN_URL:-}" ]; then
      export TEST_DATABASE_ADMIN_URL="postgres://postgres:$(cat .cache/test-postgres-password)@127.0.0.1:5432/postgres"
    fi
    exec node --import tsx test/run.ts
    ;;
  backup|restore)
    # Needs only Node.js and the npm packages: the installer runs when they are missing.
    [ -f .cache/env ] && . .cache/env
    if ! { command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] \
      && [ -d node_modules/tsx ]; }; then
      bash scripts/setup.sh run
      . .cache/env
    fi
    # FILE is named from where the command was given (DATA_DIR, as for start, from here).
    file=()
    [ $# -ge 2 ] && file=("$(cd "$caller_dir" && realpath -m -- "$2")")
    exec node --import tsx scripts/backup.ts "$1" "${file[@]}"
    ;;
  *)
    echo "usage: ./run.sh [start|test|serve|install-service|backup [FILE]|restore FILE]" >&2
    exit 2
    ;;
esac
