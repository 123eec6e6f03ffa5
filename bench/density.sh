#!/bin/bash
# Density: one shared runhcs daemon (daemon-scope=namespace) against containerd's runc shim (one
# process per container) under one private containerd, sleeping busybox containers. Prints total
# shim RSS and PSS at 10 and at 100 containers, the memory each added container costs our daemon,
# and 10 containers started in parallel into one live daemon (medians of alternating rounds).
#   bench/density.sh [rounds]      default 3 rounds of the parallel start
# Needs root, scripts/install-deps.sh and a built dist/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
. "$top/bench/lib.sh"

SHARED="--annotation io.containerd.runhcs.v1.daemon-scope=namespace"
start_n() { # runtime, extra flags, prefix, count
  local n
  for n in $(seq "$4"); do ctr_ run -d $2 $(run_args "$1") "$3-$n" /bin/sleep 100000 </dev/null; done
}

ctr_ run --rm $(run_args io.containerd.runhcs.v1) warm-runhcs /bin/true </dev/null
ctr_ run --rm $(run_args io.containerd.runc.v2) warm-runc /bin/true </dev/null

declare -A mem
for count in 10 100; do
  echo "memory with $count sleeping containers..." >&2
  start_n io.containerd.runhcs.v1 "$SHARED" "ours$count" "$count"
  settle
  [ "$(shim_pids "$OURS" | wc -l)" = 1 ] || { echo "expected one runhcs daemon" >&2; exit 1; }
  mem[ours,$count,Rss]=$(shim_mem_kb "$OURS" Rss); mem[ours,$count,Pss]=$(shim_mem_kb "$OURS" Pss)
  mem[ours,$count,threads]=$(awk '/^Threads:/ {print $2}' "/proc/$(shim_pids "$OURS")/status")
  mem[ours,$count,fds]=$(ls "/proc/$(shim_pids "$OURS")/fd" | wc -l)
  clear_all
  start_n io.containerd.runc.v2 "" "runc$count" "$count"
  settle
  mem[runc,$count,Rss]=$(shim_mem_kb "$RUNC" Rss); mem[runc,$count,Pss]=$(shim_mem_kb "$RUNC" Pss)
  clear_all
done

echo "10 containers started in parallel into a live daemon, $rounds rounds each..." >&2
ctr_ run -d $SHARED $(run_args io.containerd.runhcs.v1) anchor /bin/sleep 100000 </dev/null
par=""; parr=""
for i in $(seq "$rounds"); do
  for rt in io.containerd.runhcs.v1 io.containerd.runc.v2; do
    flags=""; [ "$rt" = io.containerd.runhcs.v1 ] && flags="$SHARED"
    t0=$(now_ms); pids=""
    for n in $(seq 10); do ctr_ run -d $flags $(run_args $rt) "p$i-${rt##*.}-$n" /bin/sleep 100000 </dev/null & pids="$pids $!"; done
    wait $pids
    t1=$(now_ms)
    if [ "$rt" = io.containerd.runhcs.v1 ]; then par="$par $((t1 - t0))"; else parr="$parr $((t1 - t0))"; fi
    for n in $(seq 10); do ctr_ task kill -s 9 "p$i-${rt##*.}-$n" >/dev/null 2>&1 || true; done
    for n in $(seq 10); do
      for _ in $(seq 100); do ctr_ task ls | grep -q "^p$i-${rt##*.}-$n .*STOPPED" && break; sleep 0.1; done
      ctr_ task delete "p$i-${rt##*.}-$n" >/dev/null 2>&1 || true; ctr_ container delete "p$i-${rt##*.}-$n" >/dev/null 2>&1 || true
    done
  done
done
pa=$(echo $par | tr ' ' '\n' | median); pb=$(echo $parr | tr ' ' '\n' | median)

ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.3f", a / b }'; }
kb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
printf '\n%-52s %12s %12s %10s\n' "scenario" "runhcs" "runc.v2" "ours/runc"
for count in 10 100; do
  for k in Rss Pss; do
    printf '%-52s %12s %12s %10s\n' "shim $k, $count sleeping containers (MiB total)" "$(kb ${mem[ours,$count,$k]})" "$(kb ${mem[runc,$count,$k]})" "$(ratio3 ${mem[ours,$count,$k]} ${mem[runc,$count,$k]})"
  done
done
per_ours=$(( (mem[ours,100,Rss] - mem[ours,10,Rss]) / 90 ))
per_runc=$(( (mem[runc,100,Rss] - mem[runc,10,Rss]) / 90 ))
printf '%-52s %12s %12s %10s\n' "RSS per added container, 10 -> 100 (KiB)" "$per_ours" "$per_runc" "$(ratio $per_ours $per_runc)"
printf '%-52s %12s %12s %10s\n' "10 parallel starts into one live daemon (ms, median)" "$pa" "$pb" "$(ratio $pa $pb)"
printf '%-52s %12s\n' "daemon threads / fds at 10 containers" "${mem[ours,10,threads]} / ${mem[ours,10,fds]}"
printf '%-52s %12s\n' "daemon threads / fds at 100 containers" "${mem[ours,100,threads]} / ${mem[ours,100,fds]}"
