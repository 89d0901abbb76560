#!/usr/bin/env bash
# Agent part of `make bench`: guest-ping round trip (ours vs raw socket) and timeout precision against a
# frozen real qemu-ga. Prints a table and writes bench/results/<date>-agent.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MVN=("$ROOT/mvnw" -B -q)
# the bench lives in agent-client's test sources; build only what it needs
"${MVN[@]}" -pl test-support,agent-client -am install -DskipTests
"${MVN[@]}" -pl agent-client dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$ROOT/agent-client/target/bench.classpath"
CP="$ROOT/agent-client/target/test-classes:$ROOT/agent-client/target/classes:$(cat "$ROOT/agent-client/target/bench.classpath")"
exec java -Xms256m -Xmx256m -cp "$CP" io.agentvisor.agent.bench.AgentBench "$ROOT/bench/results" "$@"
