#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt already uses (DEBIAN_MIRROR overrides it), for
# debootstrap: pbx/provision.sh (the Asterisk tree) and the systemd test's Debian 12 tree.
set -euo pipefail
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$( (cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true) \
    | grep -E '^(URIs:|deb )' | grep -vi security | grep -E 'debian/?(\s|$)' | head -1 \
    | sed -E 's/^URIs:\s*//; s/^deb\s+(\[[^]]*\]\s+)?//; s/\s.*$//' || true)
fi
echo "${mirror:-http://deb.debian.org/debian}"
