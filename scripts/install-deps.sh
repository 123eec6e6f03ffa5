#!/bin/sh
# Installs what building and testing need on Debian (run as root): containerd 1.6 with ctr and
# the reference runc shim, runc, criu for checkpoints, a static busybox for container root
# filesystems, gcc for the native HCS test double, python3 for the foreign-uid peer test,
# and Maven when missing. Then GraalVM for JDK 25 for the native executable: $GRAALVM_HOME, else
# a native-image on PATH, else the offline toolchain from ../shared/graalvm/install.sh when it is
# there. Without any, the scripts build the JVM distribution.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
pkgs="containerd runc criu busybox-static gcc libc6-dev binutils unzip python3 util-linux procps"
command -v mvn >/dev/null 2>&1 || pkgs="$pkgs maven"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $pkgs

. "$top/scripts/lib/graalvm.sh"
if find_graalvm; then
  echo "install-deps: GraalVM at $GRAALVM_HOME"
elif [ -f "$top/../shared/graalvm/install.sh" ]; then
  bash "$top/../shared/graalvm/install.sh" "$GRAALVM_OFFLINE_HOME"
else
  echo "install-deps: no GraalVM for JDK 25 (set GRAALVM_HOME to build the native executable); the JVM distribution will be built"
fi
