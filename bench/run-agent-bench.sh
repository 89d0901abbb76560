#!/usr/bin/env bash
# Agent part of `make bench` (P1): guest-ping round trip (ours vs raw socket) and timeout precision against a
# frozen real qemu-ga. Writes bench/results/<date>-agent.md and <date>-agent.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/build.sh"
exec java -Xms256m -Xmx256m -cp "$BENCH_CP" io.agentvisor.bench.AgentBench "$ROOT/bench/results" "$@"
