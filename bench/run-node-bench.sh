#!/usr/bin/env bash
# Node part of `make bench` (P4, P6, P7): Agentvisor as a user installs it (images built by scripts/images.sh,
# the chart by bin/helm) on the real single-node cluster (scripts/cluster.sh up --node, started and stopped by
# the harness): VM created -> agent answers beside bare QEMU on the same machine (P6), idle status writes with VMs
# running (P4), driver kill -9 and DaemonSet pod deletion -> every agent answering again, VM downtime (P7).
# Writes bench/results/<date>-node.md (machine table + summary + details) and <date>-node.json.
#
# There is one node cluster per machine: this refuses to start while another one runs (an avnode-* network
# namespace exists). Env: BENCH_NODE_PARTS=p6,p4,p7 (default: all; p4 and p7 use the VMs p6 starts),
# BENCH_KEEP_WORK=1 keeps the work directory (logs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PARTS="${BENCH_NODE_PARTS:-p6,p4,p7}"
DATE="$(date +%F)"
OUT="$ROOT/bench/results/$DATE-node.md"
log() { echo "[run-node-bench $(date +%T)] $*" >&2; }

if others=$(ip netns list 2>/dev/null | grep -o '^avnode-[^ ]*'); then
  echo "bench: a node cluster runs already on this machine (network namespace $others): one at a time" >&2
  exit 1
fi

. "$ROOT/bench/build.sh"
WORK="$(mktemp -d /tmp/avnb.XXXXXX)"
JAVA_PID=""
cleanup() {
  set +e
  if [ -n "$JAVA_PID" ]; then
    # its shutdown hook stops the node cluster: give it time
    kill -TERM "$JAVA_PID" 2>/dev/null
    for _ in $(seq 1 240); do kill -0 "$JAVA_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$JAVA_PID" 2>/dev/null
  fi
  if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the bench module's classes are copied, so that a concurrent build cannot change them under a running benchmark
cp -r "$ROOT/bench/target/classes" "$WORK/classes"
CP="$WORK/classes:${BENCH_CP#*:}"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
others_qemu=$(ps -eo comm= | grep -c '^qemu-system' || true)
others_java=$(ps -eo comm= | grep -c '^java$' || true)
started=$(date -u +%FT%TZ)
T0=$(date +%s)
log "running $PARTS (work directory $WORK)"
set +e
java -Xms256m -Xmx1g -Dagentvisor.root="$ROOT" -cp "$CP" io.agentvisor.bench.NodeBench \
  --out "$WORK/node" --work "$WORK" --parts "$PARTS" &
JAVA_PID=$!
wait "$JAVA_PID"; rc=$?
JAVA_PID=""
set -e
took=$(( $(date +%s) - T0 ))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "# Node benchmarks (P4, P6, P7), $DATE"
  echo
  echo "Run by \`bench/run-node-bench.sh\` (part of \`make bench\`), started $started, took ${took} s, parts: $PARTS."
  echo
  echo "| machine | |"
  echo "|---|---|"
  echo "| cores (nproc) | $(nproc) |"
  echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) |"
  echo "| kernel | $(uname -r) |"
  echo "| QEMU | $(qemu-system-x86_64 --version | head -n 1) (TCG: no usable KVM) |"
  echo "| Kubernetes | 1.20.2, one node (scripts/cluster.sh up --node) |"
  echo "| Java | $(java -version 2>&1 | head -n 1) |"
  echo "| load average at start / end | $load_start / $load_end |"
  echo "| other work on the machine at start | $others_qemu qemu-system and $others_java java processes |"
  echo
  echo "Numbers are from one run on a shared 2-core machine where other builds and tests run at the same time: they"
  echo "are noisy (see the load average) and meant for ratios and orders of magnitude, not for decimals."
  echo
  if [ -f "$WORK/node.md" ]; then cat "$WORK/node.md"; else echo "The harness wrote nothing (exit status $rc)."; fi
} > "$OUT"
if [ -f "$WORK/node.json" ]; then cp "$WORK/node.json" "${OUT%.md}.json"; else rm -f "${OUT%.md}.json"; fi
cat "$OUT"
log "wrote $OUT (harness exit status $rc)"
exit "$rc"
