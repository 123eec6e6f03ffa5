#!/bin/sh
# Installs what building and testing need on Debian (run as root): containerd 1.6 with ctr and
# the reference runc shim, runc, criu for checkpoints, a static busybox for container root
# filesystems, gcc for the native HCS test double, python3 for the foreign-uid peer test,
# and Maven when missing.
set -eu
pkgs="containerd runc criu busybox-static gcc libc6-dev python3 util-linux procps"
command -v mvn >/dev/null 2>&1 || pkgs="$pkgs maven"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $pkgs
