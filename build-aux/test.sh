#!/bin/sh
# Runs every Rewind test: installs what is missing, then builds, type-checks,
# lints and runs the unit and system tests. System tests need root: they
# create loop devices, btrfs filesystems, users and a private system bus.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests create loop devices, mounts and users: run them as root (sudo $0)." >&2
  exit 2
fi
sh build-aux/install-deps.sh
npm test
