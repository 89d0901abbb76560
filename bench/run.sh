#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other; each prints its tables and writes bench/results/<date>-*.md
# (for people) and <date>-*.json (its results). Then one table of P1-P6 rendered from the JSON files:
# bench/results/<date>.md. Fails when a benchmark does not build, does not finish, or could not measure a value
# or its reference. Benchmarks are never part of `make test`: timings belong here, side by side in one run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/build.sh"
day=$(date +%F)
status=0
for b in "$ROOT"/bench/run-*-bench.sh; do
  echo "==> $(basename "$b")"
  bash "$b" || { echo "bench: $(basename "$b") failed (exit status $?)" >&2; status=1; }
done
java -cp "$BENCH_CP" io.agentvisor.bench.Summary "$ROOT/bench/results/$day.md" \
  "$ROOT/bench/results/$day-agent.json" "$ROOT/bench/results/$day-system.json" || status=1
exit "$status"
