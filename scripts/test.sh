#!/bin/sh
# Builds everything and runs the whole test suite: unit tests, then the end-to-end tests that
# drive a private containerd through dist/bin/containerd-shim-runhcs-v1. Needs root and the
# packages from scripts/install-deps.sh. Extra arguments go to Maven (e.g. -Dit.test=RunIT).
set -eu
cd "$(dirname "$0")/.."
. scripts/env.sh
exec mvn -B -ntp verify "$@"
