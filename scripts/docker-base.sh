#!/usr/bin/env bash
# Builds the base image the Dockerfile starts FROM, from the Debian mirror only (no image
# registry needed), and imports it into the local Docker daemon:
#
#   bash scripts/docker-base.sh [IMAGE]        (default IMAGE: callcenter-base:sid; run as root)
#
# The image is the Debian sid tree with Asterisk 22 that pbx/provision.sh builds for the
# bare-metal install and the tests (the script is run here with PBX_USE_HOST=no into a fresh
# directory, so the Asterisk install steps live in one place), plus what scripts/setup.sh
# would otherwise install: Node.js (≥ 20) and npm, ffmpeg, espeak-ng; and the build host's
# local CA certificates (see below). Inside the image `asterisk` is on the PATH, so
# pbx/provision.sh answers PBX_MODE=host and no chroot is built when the container starts.
# Takes about 1.5 minutes and needs debootstrap (installed if missing), root (debootstrap,
# chroot, mount -t proc) and a running Docker daemon.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
image=${1:-callcenter-base:sid}
extra="ca-certificates nodejs npm ffmpeg espeak-ng"

say() { printf '[docker-base] %s\n' "$*" >&2; }
die() { printf '[docker-base] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and mount need it)"
command -v docker >/dev/null 2>&1 || die "docker is not installed (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "no Docker daemon answers (start dockerd first)"

# On disk, not in /tmp (often a small tmpfs): the tree is about 1 GB.
work=$(mktemp -d "${TMPDIR_BASE:-/var/tmp}/callcenter-base.XXXXXX")
root="$work/root"
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  if mountpoint -q "$root/proc" 2>/dev/null; then
    say "left $work in place: $root/proc is still mounted"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

start=$(date +%s)
say "building the Asterisk tree with pbx/provision.sh in $root"
PBX_USE_HOST=no PBX_ROOT="$root" bash "$here/pbx/provision.sh" >"$work/provision.out" \
  || die "pbx/provision.sh failed"
grep -qx 'PBX_MODE=chroot' "$work/provision.out" || die "unexpected provision.sh output: $(cat "$work/provision.out")"

# provision.sh left apt configured in the tree (mirror, Valid-Until off, policy-rc.d).
say "installing $extra"
mount -t proc proc "$root/proc"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $extra >/dev/null \
  || die "installing $extra into the tree failed"
chroot "$root" apt-get clean
umount "$root/proc"

# Trust what the build host trusts: CA certificates added locally on it (for example a TLS
# proxy's, which `npm ci` in `docker build` then passes through) are copied in.
# BASE_LOCAL_CAS=no leaves them out.
if [ "${BASE_LOCAL_CAS:-yes}" != no ] && [ -n "$(ls -A /usr/local/share/ca-certificates 2>/dev/null)" ]; then
  say "adding the build host's local CA certificates: $(cd /usr/local/share/ca-certificates && echo *)"
  cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi

node_major=$(chroot "$root" node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "the tree's Node.js is $node_major, the product needs ≥ 20"
version=$(chroot "$root" asterisk -V)
case "$version" in "Asterisk 22."*) ;; *) die "unexpected Asterisk version: $version" ;; esac

# Not part of the image: the tree's provisioning stamp, apt lists, the build host's resolver.
rm -f "$root/.callcenter-pbx-ready"
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin
: > "$root/etc/resolv.conf"

say "importing as $image ($(du -sh "$root" | cut -f1))"
tar --numeric-owner -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' \
  --message "callcenter base: Debian sid, $version, Node.js $(chroot "$root" node -v)" \
  - "$image" >/dev/null
say "built $image: $version, Node.js $(chroot "$root" node -v), in $(($(date +%s) - start)) s"
