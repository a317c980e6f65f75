#!/bin/sh
# Installs what building and testing Rewind needs (run as root): on Debian 12
# with apt (CI), on Fedora with dnf.
# On Debian, Node.js >= 20 with npm must already be there (Debian 12's own
# nodejs is 18); on Fedora, dnf installs Fedora's nodejs (22).
set -eu
cd "$(dirname "$0")/.."

node_is_enough() {
  command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]
}

if command -v apt-get >/dev/null 2>&1; then
  if ! node_is_enough; then
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
    git xz-utils rpm rpmlint cpio flatpak-builder man-db
    xdg-desktop-portal xdg-dbus-proxy
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
elif command -v dnf >/dev/null 2>&1; then
  # Fedora's names for the same tools. Each was looked up in Fedora's package
  # sources (the spec files of Fedora's dist-git, as mirrored on GitHub in
  # r0x0d/fedora-rpm-specs, specs/NAME.spec), not guessed: "X.spec" below is
  # the spec whose Name: is the package, "X.spec %package Y" one of its
  # subpackages, and what the comment names is in that package's %files.
  # Not on Fedora: fusefat and exfat-fuse (no Fedora spec has them). They are
  # FUSE stand-ins for kernels without vfat or exFAT, as this project's Debian
  # test machines are; Fedora's kernel has both, and the helper and the tests
  # use the kernel's when /proc/filesystems lists it.
  packages="
    btrfs-progs
    util-linux
    perl-interpreter
    procps-ng
    shadow-utils
    attr
    acl
    bindfs
    zstd
    age
    openssh-server
    openssh-clients
    dosfstools
    e2fsprogs
    xfsprogs
    dbus-daemon
    dbus-tools
    polkit
    glib2
    gjs
    gtk4
    libadwaita
    adwaita-icon-theme
    abattis-cantarell-fonts
    xorg-x11-server-Xvfb
    xorg-x11-xauth
    ImageMagick
    meson
    ninja-build
    golang-github-evanw-esbuild
    gettext
    desktop-file-utils
    appstream
    libxml2
    systemd
    git
    xz
    rpm-build
    rpmlint
    cpio
    flatpak-builder
    man-db
    nodejs
    nodejs-npm
    xdg-desktop-portal
    xdg-dbus-proxy
  "
  # Where each is confirmed (see above):
  #   btrfs-progs        btrfs-progs.spec (mkfs.btrfs, btrfs)
  #   util-linux         util-linux.spec (runuser; it requires util-linux-core, which has
  #                      mount, losetup and blkid: Debian's mount)
  #   perl-interpreter   perl.spec %package interpreter (/usr/bin/perl; Debian's perl-base,
  #                      always installed there)
  #   procps-ng          procps-ng.spec (ps, pkill; Debian's procps)
  #   shadow-utils       shadow-utils.spec (useradd: Provides /usr/sbin/useradd; Debian's passwd)
  #   attr, acl          attr.spec (getfattr, setfattr), acl.spec (getfacl, setfacl)
  #   bindfs             bindfs.spec (bindfs; requires fuse)
  #   zstd, age          zstd.spec, age.spec (age, age-keygen)
  #   openssh-server     openssh.spec %package server (sshd)
  #   openssh-clients    openssh.spec %package clients (ssh; it requires openssh, which has
  #                      ssh-keygen; Debian's openssh-client)
  #   dosfstools         dosfstools.spec (Provides /usr/sbin/mkfs.vfat)
  #   e2fsprogs          e2fsprogs.spec (mkfs.ext4)
  #   xfsprogs           xfsprogs.spec (mkfs.xfs)
  #   dbus-daemon        dbus.spec %package daemon (dbus-daemon, dbus-run-session)
  #   dbus-tools         dbus.spec %package tools (dbus-send, dbus-monitor; Debian's dbus-bin)
  #   polkit             polkit.spec (polkitd and pkexec, both in the main package)
  #   glib2              glib2.spec (gdbus, gsettings, glib-compile-schemas; Debian's libglib2.0-bin)
  #   gjs, gtk4, libadwaita  gjs.spec, gtk4.spec, libadwaita.spec (with their typelibs;
  #                      Debian's gir1.2-gtk-4.0 and gir1.2-adw-1)
  #   adwaita-icon-theme adwaita-icon-theme.spec
  #   abattis-cantarell-fonts  abattis-cantarell-fonts.spec (foundry abattis, family
  #                      Cantarell; Debian's fonts-cantarell)
  #   xorg-x11-server-Xvfb  xorg-x11-server.spec %package Xvfb (Xvfb; Debian's xvfb)
  #   xorg-x11-xauth     xorg-x11-xauth.spec (xauth)
  #   ImageMagick        ImageMagick.spec (import, convert; Debian's imagemagick)
  #   meson, ninja-build meson.spec, ninja-build.spec (ninja)
  #   golang-github-evanw-esbuild  golang-github-evanw-esbuild.spec (/usr/bin/esbuild;
  #                      Fedora's chromium.spec build-requires it by this name)
  #   gettext            gettext.spec (xgettext, msgfmt in the main package)
  #   desktop-file-utils desktop-file-utils.spec (desktop-file-validate)
  #   appstream          appstream.spec (appstreamcli)
  #   libxml2            libxml2.spec (xmllint in the main package; Debian's libxml2-utils)
  #   systemd            systemd.spec (systemd-analyze and systemd-tmpfiles: its main
  #                      package's files are listed by its split-files.py, not in the spec)
  #   git, xz, cpio      git.spec, xz.spec, cpio.spec
  #   rpm-build          rpm.spec %package build (rpmbuild; Debian's rpm has it)
  #   rpmlint            rpmlint.spec
  #   flatpak-builder    flatpak-builder.spec
  #   man-db             man-db.spec (man)
  #   nodejs, nodejs-npm nodejs22.spec, Fedora's default Node.js: its packages are named
  #                      nodejs and nodejs-npm (which Provides npm)
  #   xdg-desktop-portal xdg-desktop-portal.spec (/usr/libexec/xdg-document-portal and
  #                      xdg-permission-store; it requires fuse3, for fusermount3)
  #   xdg-dbus-proxy     xdg-dbus-proxy.spec (/usr/bin/xdg-dbus-proxy)
  missing=""
  for p in $packages; do
    rpm -q --quiet "$p" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    echo "Installing Fedora packages:$missing"
    dnf install -y -q $missing
  fi
  if ! node_is_enough; then
    echo "Rewind needs Node.js 20 or newer; Fedora's nodejs package is older here." >&2
    exit 1
  fi
else
  echo "install-deps.sh knows apt (Debian) and dnf (Fedora); install the packages it lists by hand." >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
