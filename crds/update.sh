#!/usr/bin/env bash
# Regenerates the CRD YAML from the API types and copies it next to this script, where it is committed
# (so `kubectl apply -f crds/` works). CommittedCrdsTest fails the build when the committed files are stale.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
./mvnw -B -q -pl crds process-test-classes
for crd in virtualmachines.agentvisor.io guestagentpolicies.agentvisor.io guestcommands.agentvisor.io guestmaintenances.agentvisor.io; do
  cp "crds/target/crds/$crd.yaml" "crds/$crd.yaml"
done
echo "crds/*.yaml refreshed from the API types"
