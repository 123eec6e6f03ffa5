#!/bin/sh
# Builds everything and runs the whole test suite: unit tests (on the JVM), then the end-to-end
# tests that drive a private containerd through dist/bin/containerd-shim-runhcs-v1, the native
# executable when a GraalVM is available. Needs root and the packages from scripts/install-deps.sh.
# Extra arguments go to Maven (e.g. -Dit.test=RunIT).
set -eu
cd "$(dirname "$0")/.."
. scripts/env.sh
. scripts/lib/graalvm.sh
if find_graalvm; then
  echo "test: native executable (GraalVM $GRAALVM_HOME)" >&2
  exec mvn -B -ntp -Pnative verify "$@"
fi
echo "test: JVM distribution (no GraalVM found)" >&2
exec mvn -B -ntp verify "$@"
