#!/bin/sh
# Builds the distribution in dist/ without running tests.
set -eu
cd "$(dirname "$0")/.."
. scripts/env.sh
exec mvn -B -ntp -q -DskipTests package "$@"
