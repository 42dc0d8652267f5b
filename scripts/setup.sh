#!/usr/bin/env bash
# Installs what the project needs and is missing: Debian packages (with apt-get) and the npm dependencies
# (npm ci, which builds the native bindings better-sqlite3 and @unraid/libvirt from source).
# Idempotent and quiet when everything is there already.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  openvswitch-switch   # ovsdb-server, ovs-vswitchd, ovs-vsctl, ovs-ofctl, ovs-appctl
  libvirt-dev          # headers and libvirt.so for @unraid/libvirt (includes the in-process test:/// driver)
  libvirt-clients      # virsh, for operators and debugging
  iproute2             # ip netns / veth for the dataplane tests
  iputils-ping
  tcpdump
  ethtool
  curl
  python3-openstackclient python3-tackerclient   # the openstack CLI with its `vnf package` commands, for the API tests
  python3-networking-sfc   # `openstack sfc ...` and networking-sfc's attribute definitions, for the SFC API tests
  python3 make g++ pkg-config   # node-gyp toolchain for the native bindings
)

note() { printf 'setup: %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
node_minor=$(node -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 19 ]; }; then
  note "Node.js 20.19 or later is required (found $(node --version 2>/dev/null || echo none))."
  exit 1
fi

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  note "installing Debian packages: ${missing[*]}"
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then as_root=(sudo); else note "run as root (or install sudo) to install: ${missing[*]}"; exit 1; fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -q >&2
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# npm ci when node_modules is absent or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  note "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund >&2
fi
if ! node -e "require('better-sqlite3'); import('@unraid/libvirt').then(() => {}, (e) => { console.error(e.message); process.exit(1); })" >/dev/null 2>&1; then
  note "rebuilding the native bindings"
  npm rebuild better-sqlite3 @unraid/libvirt >&2
fi
