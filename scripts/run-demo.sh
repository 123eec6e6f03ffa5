#!/bin/sh
# The main job: run a busybox container through containerd-shim-runhcs-v1 under a private
# containerd (own config, root, state and socket in a temp dir; the system containerd is not
# touched). Needs root and scripts/install-deps.sh. Builds dist/ first when it is missing.
#   scripts/run-demo.sh [command ...]     default: echo hello from runhcs
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$top/dist/bin/containerd-shim-runhcs-v1" ]; then
  # The build's own output (Maven, the native image builder) goes to a log, not into the demo's.
  build_log=$(mktemp /tmp/runhcs-build.XXXXXX)
  echo "demo: building dist/ first (a few minutes); its output: $build_log" >&2
  "$top/scripts/build.sh" >"$build_log" 2>&1 || { tail -n 40 "$build_log" >&2; exit 1; }
fi
. "$top/scripts/lib/graalvm.sh"
echo "demo: $(dist_kind "$top/dist") shim in $top/dist" >&2
[ "$#" -gt 0 ] || set -- /bin/echo hello from runhcs

work=$(mktemp -d /tmp/runhcs-demo.XXXXXX)
ns=demo
. "$top/scripts/lib/private-containerd.sh"
cleanup() {
  ctr_ task kill -s 9 demo >/dev/null 2>&1 || true
  ctr_ task delete demo >/dev/null 2>&1 || true
  ctr_ container delete demo >/dev/null 2>&1 || true
  stop_containerd
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

busybox_rootfs "$work/rootfs"
start_containerd

echo "+ ctr run --rm --runtime io.containerd.runhcs.v1 --rootfs $work/rootfs demo $*" >&2
ctr_ run --rm --runtime io.containerd.runhcs.v1 --env PATH=/bin --rootfs "$work/rootfs" demo "$@" </dev/null
