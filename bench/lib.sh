# Sourced by bench/bench.sh and bench/density.sh (which set $top and $1-derived knobs first): a
# built dist/, a private containerd in a temp dir with a namespace of its own, a busybox rootfs,
# and the helpers both benchmarks use. Cleans everything up on exit.
[ -x "$top/dist/bin/containerd-shim-runhcs-v1" ] || "$top/scripts/build.sh"
. "$top/scripts/lib/graalvm.sh"
echo "$(basename "$0" .sh): $(dist_kind "$top/dist") shim in $top/dist" >&2

work=$(mktemp -d /tmp/runhcs-bench.XXXXXX)
ns=bench$$   # a namespace of its own: runtime state of an interrupted run cannot collide
. "$top/scripts/lib/private-containerd.sh"

# Our daemons' command lines, JVM (launcher path in a -D flag) or native: the shim path ... serve.
OURS='containerd-shim-runhcs-v1.* serve$'
RUNC='containerd-shim-runc-v2'
# Pids of this containerd's shims whose command line matches $1.
shim_pids() {
  local pid
  for pid in $(pgrep -f -- "$1" || true); do
    grep -q "$work/containerd.sock" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
  done
  return 0
}
# Memory of the shims matching $1, in KiB: $2 is Rss (every resident page, shared ones counted in
# each process) or Pss (shared pages split between the processes sharing them: what they really cost).
shim_mem_kb() {
  local total=0 pid
  for pid in $(shim_pids "$1"); do
    total=$(( total + $(awk -v k="$2:" '$1 == k {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0) ))
  done
  echo "$total"
}
# Memory is measured settled, for both shims alike: a runhcs daemon lets go of the pages its
# start-up mapped 2 s after it serves (LinuxPlatform.SETTLE).
settle() { sleep 3; }
# Kills and deletes every task and container, then waits for their shims to be gone.
clear_all() {
  local id
  for id in $(ctr_ task ls -q); do ctr_ task kill -s 9 "$id" >/dev/null 2>&1 || true; done
  for id in $(ctr_ task ls -q); do
    for _ in $(seq 100); do ctr_ task ls | grep -q "^$id .*STOPPED" && break; sleep 0.1; done
    ctr_ task delete "$id" >/dev/null 2>&1 || true
  done
  for id in $(ctr_ container ls -q); do ctr_ container delete "$id" >/dev/null 2>&1 || true; done
  for _ in $(seq 200); do [ -z "$(shim_pids "$OURS")$(shim_pids "$RUNC")" ] && break; sleep 0.1; done
}
cleanup() {
  clear_all 2>/dev/null || true
  stop_containerd
  rmdir "/run/containerd/runhcs-runc/$ns" "/run/containerd/runc/$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

now_ns() { date +%s%N; }
now_ms() { echo $(( $(now_ns) / 1000000 )); }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# First and third quartile of the numbers on stdin, as "q1-q3" (nearest rank).
quartiles() { sort -g | awk '{a[NR]=$1} END {if (NR) printf "%.2f-%.2f", a[int((NR+3)/4)], a[int((3*NR+3)/4)]}'; }
# $1/$2 with ${3:-2} decimals.
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b == 0) print "n/a"; else printf "%." d "f", a / b }'; }
run_args() { echo "--runtime $1 --env PATH=/bin --rootfs $work/rootfs"; }

busybox_rootfs "$work/rootfs"
start_containerd
