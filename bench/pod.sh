#!/bin/bash
# Benchmarks a Kubernetes pod (a sandbox plus one container, grouped) through containerd's CRI
# plugin: io.containerd.runhcs.v1 (this shim, CRI handler runhcs) against io.containerd.runc.v2
# (handler runc) under one private containerd with CRI on, in pairs of back-to-back runs (which
# one goes first alternates pair by pair). Per
# run: RunPodSandbox + CreateContainer + StartContainer of a sleeping container, timed from the
# first request to StartContainer's answer (the container is RUNNING then), then StopPodSandbox +
# RemovePodSandbox (not timed). Prints medians, the median of the pairs' ratios ours/runc (below
# 1 is better) with their quartiles, and the shims'
# RSS and PSS with one live pod each. The client is one JVM (dev.hcsshim.fixtures.cri.PodBench,
# in test-fixtures) that times inside itself: JVM, containerd start-up and image import are not
# measured. Needs root, scripts/install-deps.sh and a built dist/.
#   bench/pod.sh [runs]        default 7 runs per handler
#   HCSSHIM_DIST=/path/to/dist bench/pod.sh 3   another distribution than ./dist
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-7}
cd "$top"
. scripts/env.sh
. scripts/lib/graalvm.sh
dist=${HCSSHIM_DIST:-$top/dist}
if [ ! -x "$dist/bin/containerd-shim-runhcs-v1" ]; then
  [ -z "${HCSSHIM_DIST:-}" ] || { echo "no shim in $dist/bin" >&2; exit 1; }
  scripts/build.sh
fi
echo "pod: $(dist_kind "$dist") shim in $dist" >&2

# The client: test-fixtures (and proto) compiled, and its runtime classpath, without tests.
mvn -B -ntp -q -pl test-fixtures -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime >&2
cp="$top/test-fixtures/target/classes:$(cat "$top/test-fixtures/target/classpath.txt")"

exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dslf4j.internal.verbosity=ERROR -cp "$cp" dev.hcsshim.fixtures.cri.PodBench "$dist" "$runs"
