#!/usr/bin/env bash
# Refreshes the chart's copy of the CRDs (helm/agentvisor/crds/) from the single source of truth, the repository's
# crds/*.yaml (generated from the API types by `make crds`). A copy, not symlinks, so that `helm package` and
# `helm install` from a packaged chart carry the real files. The test ChartCrdsTest fails while they differ.
#   helm/sync-crds.sh          copy (and remove chart CRDs that no longer exist in crds/)
#   helm/sync-crds.sh --check  only report; exit 1 if they differ
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SRC="$ROOT/crds"
DST="$ROOT/helm/agentvisor/crds"

shopt -s nullglob
src=("$SRC"/*.yaml)
if [ ${#src[@]} -eq 0 ]; then
  echo "no CRDs in $SRC (run 'make crds')" >&2
  exit 1
fi

differs=0
for f in "${src[@]}"; do
  cmp -s "$f" "$DST/$(basename "$f")" || { echo "differs: crds/$(basename "$f")"; differs=1; }
done
for f in "$DST"/*.yaml; do
  [ -e "$SRC/$(basename "$f")" ] || { echo "stale:   helm/agentvisor/crds/$(basename "$f")"; differs=1; }
done

if [ "${1:-}" = "--check" ]; then
  [ $differs -eq 0 ] && echo "helm/agentvisor/crds is in sync with crds/"
  exit $differs
fi

mkdir -p "$DST"
for f in "$DST"/*.yaml; do
  [ -e "$SRC/$(basename "$f")" ] || rm -f "$f"
done
cp "${src[@]}" "$DST/"
echo "helm/agentvisor/crds: ${#src[@]} CRD(s) copied from crds/"
