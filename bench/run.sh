#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other; each prints its tables and writes bench/results/<date>-*.md
# (for people) and <date>-*.json (its results). Then one table of P1-P7 and the CLI rendered from the JSON files:
# bench/results/<date>.md. Fails when a benchmark does not build, does not finish, or could not measure a value
# or its reference. Benchmarks are never part of `make test`: timings belong here, side by side in one run.
#   agent  P1        AgentBench: the agent client beside a raw socket, same real qemu-ga
#   system P2 P3 P5  SystemBench: libvirt beside bare QEMU, pollers at scale, the operator at 1,000 VMs (API only)
#   node   P4 P6 P7  NodeBench: the chart on the real node: idle writes, start latency, driver restart
#   cli              bin/agentvisor (warm daemon and fresh JVM) beside kubectl, virsh and a raw socket
# The node benchmarks start the machine's one node cluster: nothing else may use it meanwhile.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/build.sh"
day=$(date +%F)
status=0
for b in agent system node cli; do
  echo "==> run-$b-bench.sh"
  bash "$ROOT/bench/run-$b-bench.sh" || { echo "bench: run-$b-bench.sh failed (exit status $?)" >&2; status=1; }
done
java -cp "$BENCH_CP" io.agentvisor.bench.Summary "$ROOT/bench/results/$day.md" \
  "$ROOT/bench/results/$day-agent.json" "$ROOT/bench/results/$day-system.json" \
  "$ROOT/bench/results/$day-node.json" "$ROOT/bench/results/$day-cli.json" || status=1
exit "$status"
