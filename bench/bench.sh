#!/bin/bash
# Benchmarks io.containerd.runhcs.v1 (this shim) against io.containerd.runc.v2 (containerd's own
# runc shim) under one private containerd, alternating the two runtimes run by run so machine
# drift hits both alike. Prints medians and the ratio ours/runc (below 1 is better for times,
# above 1 is better for throughput). Needs root, scripts/install-deps.sh and a built dist/.
#   bench/bench.sh [runs]        default 7 runs per timed scenario
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-7}
. "$top/bench/lib.sh"

RUNTIMES="io.containerd.runhcs.v1 io.containerd.runc.v2"
short() { case "$1" in *runhcs*) echo runhcs ;; *) echo runc ;; esac; }
declare -A samples

record() { samples["$1,$2"]+="$3 "; }
med() { echo ${samples["$1,$2"]} | tr ' ' '\n' | grep -v '^$' | median; }

echo "warming up (first start of each shim)..." >&2
for rt in $RUNTIMES; do ctr_ run --rm $(run_args $rt) warm-$(short $rt) /bin/true </dev/null; done

echo "ctr run --rm /bin/true, $runs runs each..." >&2
for i in $(seq "$runs"); do
  for rt in $RUNTIMES; do
    t0=$(now_ms); ctr_ run --rm $(run_args $rt) true-$(short $rt)-$i /bin/true </dev/null; t1=$(now_ms)
    record run "$rt" $((t1 - t0))
  done
done

echo "ctr task exec /bin/true, $runs runs each..." >&2
for rt in $RUNTIMES; do ctr_ run -d $(run_args $rt) exec-$(short $rt) /bin/sleep 100000 </dev/null; done
for i in $(seq "$runs"); do
  for rt in $RUNTIMES; do
    t0=$(now_ms); ctr_ task exec --exec-id e$i exec-$(short $rt) /bin/true </dev/null; t1=$(now_ms)
    record exec "$rt" $((t1 - t0))
  done
done

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
  daemon=$(pgrep -f -- "-id $1 .*serve$" || true)
  [ -z "$daemon" ] || { kill "$daemon"; while kill -0 "$daemon" 2>/dev/null; do sleep 0.02; done; }
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

echo "stdout throughput: 256 MiB from dd bs=1M, 3 runs each..." >&2
for i in 1 2 3; do
  for rt in $RUNTIMES; do
    # Timed from the first byte to end-of-file, so container start-up is not counted.
    ms=$(ctr_ run --rm $(run_args $rt) dd-$(short $rt)-$i /bin/dd if=/dev/zero bs=1M count=256 </dev/null 2>/dev/null |
      { head -c 1 >/dev/null; t0=$(now_ms); cat >/dev/null; t1=$(now_ms); echo $((t1 - t0)); })
    record mbps "$rt" $(( 256 * 1000 / (ms > 0 ? ms : 1) ))
  done
done

echo "10 containers started in parallel, 3 rounds each..." >&2
for i in 1 2 3; do
  for rt in $RUNTIMES; do
    t0=$(now_ms)
    pids=""
    for n in $(seq 10); do ctr_ run -d $(run_args $rt) par-$(short $rt)-$i-$n /bin/sleep 100000 </dev/null & pids="$pids $!"; done
    wait $pids   # not a bare wait: containerd is a background job of this shell too
    t1=$(now_ms)
    record parallel "$rt" $((t1 - t0))
  done
done

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

printf '\n%-44s %12s %12s %10s\n' "scenario (median)" "runhcs" "runc.v2" "ours/runc"
for s in run exec parallel; do
  a=$(med $s io.containerd.runhcs.v1); b=$(med $s io.containerd.runc.v2)
  case $s in run) label="ctr run --rm /bin/true (ms)";; exec) label="ctr task exec /bin/true (ms)";; parallel) label="10 containers started in parallel (ms)";; esac
  printf '%-44s %12s %12s %10s\n' "$label" "$a" "$b" "$(ratio "$a" "$b")"
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
