#!/bin/bash
# Exec soak: one sleeping busybox container under this shim, then N `ctr task exec /bin/true`
# one after another. Prints the daemon's RSS, PSS, threads and fds every N/10 execs: a daemon
# that leaks per exec (memory, threads, fds) shows it as a rising column.
#   bench/soak.sh [execs]        default 1000
# Needs root, scripts/install-deps.sh and a built dist/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
execs=${1:-1000}
. "$top/bench/lib.sh"

ctr_ run -d $(run_args io.containerd.runhcs.v1) soak /bin/sleep 100000 </dev/null
settle
pid=$(shim_pids "$OURS")
[ "$(echo "$pid" | wc -w)" = 1 ] || { echo "expected one runhcs daemon, got: $pid" >&2; exit 1; }

row() {
  printf '%8s %10s %10s %8s %6s\n' "$1" \
    "$(awk '$1 == "Rss:" {print $2}' "/proc/$pid/smaps_rollup")" \
    "$(awk '$1 == "Pss:" {print $2}' "/proc/$pid/smaps_rollup")" \
    "$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")" \
    "$(ls "/proc/$pid/fd" | wc -l)"
}
printf '\n%8s %10s %10s %8s %6s\n' "execs" "RSS (KiB)" "PSS (KiB)" "threads" "fds"
row 0
step=$(( execs / 10 > 0 ? execs / 10 : 1 ))
for i in $(seq "$execs"); do
  ctr_ task exec --exec-id "e$i" soak /bin/true </dev/null
  [ $(( i % step )) = 0 ] && row "$i"
done
