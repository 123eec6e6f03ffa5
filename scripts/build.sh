#!/bin/sh
# Builds the distribution in dist/ without running tests: the native executable when a GraalVM
# for JDK 25 is available (see scripts/lib/graalvm.sh), else the JVM distribution.
set -eu
cd "$(dirname "$0")/.."
. scripts/env.sh
. scripts/lib/graalvm.sh
if find_graalvm; then
  echo "build: native executable (GraalVM $GRAALVM_HOME)" >&2
  exec mvn -B -ntp -q -Pnative -DskipTests package "$@"
fi
echo "build: JVM distribution (no GraalVM found)" >&2
exec mvn -B -ntp -q -DskipTests package "$@"
