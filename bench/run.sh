#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other; each prints its table and writes bench/results/.
# Benchmarks are never part of `make test`: timings belong here, side by side in one run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for b in "$ROOT"/bench/run-*-bench.sh; do
  echo "==> $(basename "$b")"
  bash "$b"
done
