#!/usr/bin/env bash
# Builds a Debian 12 base image from the Debian mirror (for sites without an image registry):
# debootstrap a minimal tree and `docker import` it as callcenter-base:bookworm.
set -euo pipefail
mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/{print $2; exit} /^deb /{print $2; exit}' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$mirror"
tar -C "$root" -c . | docker import - callcenter-base:bookworm
echo "built callcenter-base:bookworm"
