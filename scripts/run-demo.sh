#!/bin/sh
# The main job: run a busybox container through containerd-shim-runhcs-v1 under a private
# containerd (own config, root, state and socket in a temp dir; the system containerd is not
# touched). Needs root and scripts/install-deps.sh. Builds dist/ first when it is missing.
#   scripts/run-demo.sh [command ...]     default: echo hello from runhcs
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$top/dist/bin/containerd-shim-runhcs-v1" ] || "$top/scripts/build.sh"
[ "$#" -gt 0 ] || set -- /bin/echo hello from runhcs

work=$(mktemp -d /tmp/runhcs-demo.XXXXXX)
cleanup() {
  ctr_ task kill -s 9 demo >/dev/null 2>&1 || true
  ctr_ task delete demo >/dev/null 2>&1 || true
  ctr_ container delete demo >/dev/null 2>&1 || true
  [ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null || true
  rm -rf "$work"
}
ctr_() { ctr --address "$work/containerd.sock" --namespace demo "$@"; }
trap cleanup EXIT INT TERM

# A root filesystem: static busybox and its applets.
mkdir -p "$work/rootfs/bin" "$work/rootfs/proc" "$work/rootfs/dev" "$work/rootfs/sys" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in $("$work/rootfs/bin/busybox" --list); do
  [ -e "$work/rootfs/bin/$applet" ] || ln -s busybox "$work/rootfs/bin/$applet"
done

cat > "$work/config.toml" <<TOML
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$work/opt"
TOML
PATH="$top/dist/bin:$PATH" containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
cpid=$!
i=0
until ctr_ version >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -lt 100 ] || { echo "containerd did not start; see $work/containerd.log" >&2; exit 1; }
  sleep 0.1
done

echo "+ ctr run --rm --runtime io.containerd.runhcs.v1 --rootfs $work/rootfs demo $*" >&2
ctr_ run --rm --runtime io.containerd.runhcs.v1 --env PATH=/bin --rootfs "$work/rootfs" demo "$@" </dev/null
