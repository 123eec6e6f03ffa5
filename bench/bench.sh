#!/bin/bash
# Benchmarks io.containerd.runhcs.v1 (this shim) against io.containerd.runc.v2 (containerd's own
# runc shim) under one private containerd, in pairs of back-to-back runs of the two (which one
# goes first alternates pair by pair), so machine drift and the cost of going first or second hit
# both alike. Prints medians, the median of the pairs' ratios ours/runc (below 1 is better for
# times, above 1 for throughput), their quartiles and in how many pairs ours was the faster.
# Needs root, scripts/install-deps.sh and a built dist/.
#   bench/bench.sh [runs]        default 7 pairs per timed scenario (exec 3x as many, the
#                                parallel starts and throughput half)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-7}
. "$top/bench/lib.sh"

RUNTIMES="io.containerd.runhcs.v1 io.containerd.runc.v2"
OURS_RT=io.containerd.runhcs.v1
short() { case "$1" in *runhcs*) echo runhcs ;; *) echo runc ;; esac; }
declare -A samples

record() { samples["$1,$2"]+="$3 "; }
med() { echo ${samples["$1,$2"]} | tr ' ' '\n' | grep -v '^$' | median; }
# Quartiles of a scenario's pair ratios ("q1-q3"): how far one pair is from the next.
spread() { echo ${samples["$1,ratio"]} | tr ' ' '\n' | grep -v '^$' | quartiles; }
# "w/n": in how many of a scenario's n pairs ours was the faster.
wins() { echo ${samples["$1,ratio"]} | tr ' ' '\n' | grep -v '^$' | awk '$1 < 1 {w++} END {printf "%d/%d", w, NR}'; }
# Runtimes of pair $1 in the order they run: which goes first alternates, so that whatever the
# first of two back-to-back runs pays (or the second) falls on both alike.
pair_order() { if (( $1 % 2 )); then echo "$RUNTIMES"; else echo "$RUNTIMES" | awk '{print $2, $1}'; fi; }
# Times `$2 <runtime> <pair>` for both runtimes in pair $3 and records both and their ratio
# under scenario $1 (a ratio of neighbours in time: drift of the machine cancels out).
timed_pair() {
  local scenario=$1 fn=$2 i=$3 rt t0 t1 ours=0 theirs=0
  for rt in $(pair_order "$i"); do
    t0=$(now_ns); "$fn" "$rt" "$i"; t1=$(now_ns)
    record "$scenario" "$rt" $(( (t1 - t0) / 1000000 ))
    if [ "$rt" = "$OURS_RT" ]; then ours=$((t1 - t0)); else theirs=$((t1 - t0)); fi
  done
  record "$scenario" ratio "$(ratio "$ours" "$theirs" 3)"
}

echo "warming up (first start of each shim)..." >&2
for rt in $RUNTIMES; do ctr_ run --rm $(run_args $rt) warm-$(short $rt) /bin/true </dev/null; done

run_true() { ctr_ run --rm $(run_args "$1") true-$(short "$1")-$2 /bin/true </dev/null; }
echo "ctr run --rm /bin/true, $runs pairs..." >&2
for i in $(seq "$runs"); do timed_pair run run_true "$i"; done

exec_true() { ctr_ task exec --exec-id e$2 exec-$(short "$1") /bin/true </dev/null; }
echo "ctr task exec /bin/true, $((3 * runs)) pairs..." >&2
for rt in $RUNTIMES; do ctr_ run -d $(run_args $rt) exec-$(short $rt) /bin/sleep 100000 </dev/null; done
for i in $(seq $((3 * runs))); do timed_pair exec exec_true "$i"; done

# The shim's own commands, run as containerd runs them: `start` (which launches the daemon and
# returns: at once when it hands the daemon its socket, as the native executable does; else once
# the daemon serves), `delete` after the daemon is gone, and `-v` (bare process start-up).
echo "shim commands: start, delete, -v, $runs runs..." >&2
shim="$top/dist/bin/containerd-shim-runhcs-v1"
start_shim() { # $1: task id; in its bundle, as containerd runs it
  (cd "$work/bundle-$1" && HCSSHIM_EXTRA_JVM_OPTS="-Dhcsshim.socket.dir=$work/s" "$shim" -namespace "$ns" -id "$1" \
    -address "$work/containerd.sock" -publish-binary "$(command -v containerd)" start </dev/null >/dev/null)
}
stop_daemon() { # $1: task id; once it serves, so that it removes its socket
  local daemon
  for daemon in $(shim_pids "-id $1 .*serve$"); do
    kill "$daemon" 2>/dev/null || true
    while kill -0 "$daemon" 2>/dev/null; do sleep 0.02; done
  done
}
for i in $(seq "$runs"); do
  mkdir -p "$work/bundle-cmd-$i"; ctr oci spec > "$work/bundle-cmd-$i/config.json"
  t0=$(now_ms); start_shim cmd-$i; t1=$(now_ms)
  record start runhcs $((t1 - t0))
  for _ in $(seq 250); do ls "$work"/s/*.json >/dev/null 2>&1 && break; sleep 0.02; done # until it serves
  stop_daemon cmd-$i
  t0=$(now_ms); (cd "$work/bundle-cmd-$i" && "$shim" -namespace "$ns" -id cmd-$i -address "$work/containerd.sock" -bundle "$work/bundle-cmd-$i" delete </dev/null >/dev/null); t1=$(now_ms)
  record delete runhcs $((t1 - t0))
  t0=$(now_ms); "$shim" -v >/dev/null; t1=$(now_ms)
  record version runhcs $((t1 - t0))
done
# daemon ready: from start's launch to the daemon's first answer, seen by a client that waits on
# the socket directory (a separate round: its polling would slow the start timed above).
for i in $(seq "$runs"); do
  mkdir -p "$work/bundle-ready-$i"; ctr oci spec > "$work/bundle-ready-$i/config.json"
  /usr/bin/python3 -S "$top/bench/first-answer.py" "$work/s" > "$work/answer" &
  answer=$!
  until grep -q ready "$work/answer" 2>/dev/null; do sleep 0.01; done
  t0=$(now_ms); start_shim ready-$i
  wait "$answer"
  record ready runhcs $(( $(tail -1 "$work/answer") - t0 ))
  stop_daemon ready-$i
done

rounds=$(( (runs + 1) / 2 ))
echo "stdout throughput: 256 MiB from dd bs=1M, $rounds pairs..." >&2
for i in $(seq "$rounds"); do
  for rt in $(pair_order "$i"); do
    # Timed from the first byte to end-of-file, so container start-up is not counted.
    ms=$(ctr_ run --rm $(run_args $rt) dd-$(short $rt)-$i /bin/dd if=/dev/zero bs=1M count=256 </dev/null 2>/dev/null |
      { head -c 1 >/dev/null; t0=$(now_ms); cat >/dev/null; t1=$(now_ms); echo $((t1 - t0)); })
    record mbps "$rt" $(( 256 * 1000 / (ms > 0 ? ms : 1) ))
  done
done

run_ten() {
  local pids="" n
  for n in $(seq 10); do ctr_ run -d $(run_args "$1") par-$(short "$1")-$2-$n /bin/sleep 100000 </dev/null & pids="$pids $!"; done
  wait $pids   # not a bare wait: containerd is a background job of this shell too
}
echo "10 containers started in parallel, $rounds pairs..." >&2
for i in $(seq "$rounds"); do timed_pair parallel run_ten "$i"; done

echo "shim memory with 10 containers running..." >&2
clear_all
for rt in $RUNTIMES; do
  for n in $(seq 10); do ctr_ run -d $(run_args $rt) mem-$(short $rt)-$n /bin/sleep 100000 </dev/null; done
done
settle
rss_runhcs=$(shim_mem_kb "$OURS" Rss)
rss_runc=$(shim_mem_kb "$RUNC" Rss)
pss_runhcs=$(shim_mem_kb "$OURS" Pss)
pss_runc=$(shim_mem_kb "$RUNC" Pss)
clear_all
# The same 10 containers grouped into one runhcs daemon, as a pod is.
for n in $(seq 10); do
  ctr_ run -d --annotation io.containerd.runhcs.v1.group=pod $(run_args io.containerd.runhcs.v1) grp-$n /bin/sleep 100000 </dev/null
done
settle
rss_grouped=$(shim_mem_kb "$OURS" Rss)
pss_grouped=$(shim_mem_kb "$OURS" Pss)

printf '\n%-44s %12s %12s %10s %12s %8s\n' "scenario (median)" "runhcs" "runc.v2" "ours/runc" "(quartiles)" "faster"
for s in run exec parallel; do
  a=$(med $s io.containerd.runhcs.v1); b=$(med $s io.containerd.runc.v2)
  case $s in run) label="ctr run --rm /bin/true (ms)";; exec) label="ctr task exec /bin/true (ms)";; parallel) label="10 containers started in parallel (ms)";; esac
  printf '%-44s %12s %12s %10s %12s %8s\n' "$label" "$a" "$b" "$(printf %.2f "$(med $s ratio)")" "$(spread $s)" "$(wins $s)"
done
a=$(med mbps io.containerd.runhcs.v1); b=$(med mbps io.containerd.runc.v2)
printf '%-44s %12s %12s %10s\n' "stdout throughput, dd bs=1M 256 MiB (MB/s)" "$a" "$b" "$(ratio "$a" "$b")"
printf '%-44s %12s %12s %10s\n' "shim RSS, 10 containers (MiB total)" "$((rss_runhcs / 1024))" "$((rss_runc / 1024))" "$(ratio "$rss_runhcs" "$rss_runc")"
printf '%-44s %12s %12s %10s\n' "shim PSS, 10 containers (MiB total)" "$((pss_runhcs / 1024))" "$((pss_runc / 1024))" "$(ratio "$pss_runhcs" "$pss_runc")"
for s in start ready delete version; do
  case $s in start) label="shim start (ms; until it answers)";; ready) label="daemon ready (ms; launch to first answer)";;
    delete) label="shim delete (ms)";; version) label="shim -v (ms; process start-up)";; esac
  printf '%-44s %12s %12s %10s\n' "$label" "$(med $s runhcs)" "" ""
done
printf '%-44s %12s %12s %10s\n' "RSS, runhcs grouped in one daemon (MiB)" "$((rss_grouped / 1024))" "$((rss_runc / 1024))" "$(ratio "$rss_grouped" "$rss_runc")"
printf '%-44s %12s %12s %10s\n' "PSS, runhcs grouped in one daemon (MiB)" "$((pss_grouped / 1024))" "$((pss_runc / 1024))" "$(ratio "$pss_grouped" "$pss_runc")"
