#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other; each prints its table and writes bench/results/. Then one
# table of P1-P6 with the machine it ran on: bench/results/<date>.md (details stay in <date>-agent.md and
# <date>-system.md). Benchmarks are never part of `make test`: timings belong here, side by side in one run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for b in "$ROOT"/bench/run-*-bench.sh; do
  echo "==> $(basename "$b")"
  bash "$b"
done

day=$(date +%F)
agent="$ROOT/bench/results/$day-agent.md"
system="$ROOT/bench/results/$day-system.md"
out="$ROOT/bench/results/$day.md"
[ -f "$agent" ] && [ -f "$system" ] || { echo "bench: $agent or $system missing; no combined table" >&2; exit 1; }

cell() { awk -F'|' -v row="$1" -v col="$2" '$2 ~ row { gsub(/^ +| +$/, "", $col); print $col; exit }' "$agent"; }
raw=$(cell "raw blocking socket" 3)
ours=$(cell "GuestAgent.callAndWait" 3)
ratio=$(cell "GuestAgent.callAndWait" 6)
late=$(sed -n 's/^Goal ≤ 50 ms past the deadline: worst \([0-9.]* ms\).*/\1/p' "$agent")
p1ok=$(awk -v r="${ratio%×}" 'BEGIN { print (r + 0 <= 1.3) ? "met" : "NOT met" }')
lateok=$(awk -v l="${late% ms}" 'BEGIN { print (l + 0 <= 50) ? "met" : "NOT met" }')
{
  echo "# Benchmarks, $day (make bench)"
  echo
  sed -n '/^| machine |/,/^$/p' "$system"
  echo "Details: [$day-agent.md]($day-agent.md), [$day-system.md]($day-system.md)."
  echo
  echo "| P | measure | Agentvisor | reference (raw / libvirt / floor) | ratio | goal | |"
  echo "|---|---|---|---|---|---|---|"
  echo "| P1 | guest-ping round trip, median (same real qemu-ga) | $ours µs | raw socket: $raw µs | $ratio | ≤ 1.3× | $p1ok |"
  echo "| P1 | timeout precision, frozen host qemu-ga, worst past deadline | $late | | | ≤ 50 ms | $lateok |"
  awk '/^## Summary/ { on = 1; next } /^## / { on = 0 } on && /^\| P[2-6] /' "$system"
} > "$out"
echo "==> combined table: $out"
cat "$out"
