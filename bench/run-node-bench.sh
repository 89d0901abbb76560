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
. "$ROOT/bench/lib.sh"
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
    stop_harness 240
    kill -KILL "$JAVA_PID" 2>/dev/null
  fi
  remove_work
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the bench module's classes are copied, so that a concurrent build cannot change them under a running benchmark
cp -r "$ROOT/bench/target/classes" "$WORK/classes"
CP="$WORK/classes:${BENCH_CP#*:}"

machine_at_start
log "running $PARTS (work directory $WORK)"
run_harness java -Xms256m -Xmx1g -Dagentvisor.root="$ROOT" -cp "$CP" io.agentvisor.bench.NodeBench \
  --out "$WORK/node" --work "$WORK" --parts "$PARTS"
write_report node "Node benchmarks (P4, P6, P7)" \
  "| Kubernetes | 1.20.2, one node (scripts/cluster.sh up --node) |" \
  "$others_qemu qemu-system and $others_java java processes"
exit "$rc"
