#!/bin/sh
# Installs what building and testing Rewind needs on Debian 12 (run as root).
# Node.js >= 20 with npm must already be there (Debian 12's own nodejs is 18).
set -eu
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "Rewind needs Node.js 20 or newer with npm; install it first." >&2
  exit 1
fi

packages="
  btrfs-progs util-linux mount procps passwd attr acl bindfs
  zstd age openssh-server openssh-client dosfstools e2fsprogs xfsprogs fusefat exfat-fuse
  dbus dbus-daemon dbus-bin polkitd pkexec libglib2.0-bin
  gjs gir1.2-gtk-4.0 gir1.2-adw-1 adwaita-icon-theme fonts-cantarell
  xvfb xauth imagemagick
  meson ninja-build esbuild gettext desktop-file-utils appstream libxml2-utils systemd
  git xz-utils rpm rpmlint cpio flatpak-builder
"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "Installing Debian packages:$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
