# Sourced by scripts/run-demo.sh and bench/bench.sh: a busybox root filesystem, and a private
# containerd (own config, root, state and socket under $work; the system containerd is not
# touched) whose PATH finds dist/bin/containerd-shim-runhcs-v1 first. Callers set top, work, ns.

ctr_() { ctr --address "$work/containerd.sock" --namespace "$ns" "$@"; }

# Fills $1 with static busybox and links for its applets.
busybox_rootfs() {
  mkdir -p "$1/bin" "$1/proc" "$1/dev" "$1/sys" "$1/tmp"
  cp /bin/busybox "$1/bin/busybox"
  for applet in $("$1/bin/busybox" --list); do
    [ -e "$1/bin/$applet" ] || ln -s busybox "$1/bin/$applet"
  done
}

# Starts containerd in the background (pid in $cpid) and returns once it answers.
# The shims' sockets go to $work/s, so nothing is left under /run afterwards.
start_containerd() {
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
  PATH="$top/dist/bin:$PATH" HCSSHIM_EXTRA_JVM_OPTS="-Dhcsshim.socket.dir=$work/s" \
    containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
  cpid=$!
  tries=0
  until ctr_ version >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || { echo "containerd did not start; see $work/containerd.log" >&2; return 1; }
    sleep 0.1
  done
}

stop_containerd() {
  [ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null || true
}
