#!/usr/bin/env bash
# Provides Asterisk 22 for the product and the tests.
#
# A host `asterisk` of major version 22 is used as it is (for example inside the Docker image
# or on a distribution that packages it). Otherwise — Debian 12 has no Asterisk package — a
# minimal Debian sid tree is bootstrapped from the Debian mirror into $PBX_ROOT, Asterisk and
# its English prompts are installed into it, and Asterisk runs there with `chroot`. The tree is
# built once; a second run only checks its stamp (well under a second).
#
# Concurrent runs (the product and tests starting together) are serialised by an flock on
# "$PBX_ROOT.lock", next to the tree (not inside it: a failed bootstrap removes the tree). Only
# one run builds or removes the tree; the others wait for it (PBX_LOCK_WAIT seconds, default
# 1800) and then find the stamp. A ready tree is used without taking the lock: the stamp is
# written last, and nothing removes a stamped tree.
#
# Prints the result as shell assignments on stdout:  PBX_MODE=host|chroot  PBX_ROOT=…
set -euo pipefail

root=${PBX_ROOT:?set PBX_ROOT to the directory for the Asterisk tree}
packages="asterisk asterisk-modules asterisk-core-sounds-en-wav asterisk-moh-opsound-wav"
stamp="$root/.callcenter-pbx-ready"
uid=960   # the tree's asterisk user: fixed, and away from host users (101 is postgres on Debian)

say() { printf '[pbx] %s\n' "$*" >&2; }
die() { printf '[pbx] error: %s\n' "$*" >&2; exit 1; }

if [ "${PBX_USE_HOST:-auto}" != "no" ] && command -v asterisk >/dev/null 2>&1 \
   && asterisk -V 2>/dev/null | grep -q '^Asterisk 22\.'; then
  echo "PBX_MODE=host"
  echo "PBX_ROOT=/"
  exit 0
fi

ready() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$packages" ] && [ -x "$root/usr/sbin/asterisk" ]; }
done_ready() {
  echo "PBX_MODE=chroot"
  echo "PBX_ROOT=$root"
  exit 0
}

ready && done_ready

[ "$(id -u)" -eq 0 ] || die "building the Asterisk tree needs root (debootstrap and chroot)"

# One builder at a time; whoever waited finds the tree the first one built.
command -v flock >/dev/null 2>&1 || die "flock (util-linux) is missing"
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
if ! flock -n 9; then
  say "another run is building $root; waiting for it"
  flock -w "${PBX_LOCK_WAIT:-1800}" 9 || die "timed out waiting for the lock $root.lock"
fi
ready && done_ready
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } \
    || die "could not install debootstrap"
fi

# The Debian mirror this machine already uses.
mirror=$(bash "$(dirname "$0")/../scripts/debian-mirror.sh")

cleanup() {
  umount "$root/proc" 2>/dev/null || true
}
trap cleanup EXIT

if [ ! -x "$root/usr/bin/apt-get" ]; then
  say "bootstrapping Debian sid into $root from $mirror (about a minute)"
  rm -rf "$root" && mkdir -p "$root"
  debootstrap --variant=minbase sid "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $root.debootstrap.log"
  rm -f "$root.debootstrap.log"
fi

# apt inside the tree: the mirror's sid snapshot may be past its Valid-Until date; start no services.
echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99callcenter"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# The asterisk user before the package, so it does not take a uid that collides with the host's.
if ! chroot "$root" getent passwd asterisk >/dev/null; then
  chroot "$root" groupadd --system --gid "$uid" asterisk
  chroot "$root" useradd --system --uid "$uid" --gid "$uid" --home-dir /var/lib/asterisk --shell /usr/sbin/nologin asterisk
fi

mount -t proc proc "$root/proc"
say "installing $packages"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update inside the tree failed"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null \
  || die "installing Asterisk into the tree failed"
chroot "$root" apt-get clean
umount "$root/proc"

mkdir -p "$root/run/asterisk" "$root/var/lib/asterisk/keys"
chroot "$root" asterisk -V >/dev/null || die "Asterisk does not start inside the tree"
echo "$packages" > "$stamp"
say "$(chroot "$root" asterisk -V) ready in $root"
echo "PBX_MODE=chroot"
echo "PBX_ROOT=$root"
