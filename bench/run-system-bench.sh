#!/usr/bin/env bash
# System part of `make bench` that needs no node (P2, P3, P5): libvirt 9.0 beside Agentvisor on the same tiny
# guest (timeout precision with a frozen agent, a second concurrent caller), 200 polled host agents with 40 frozen,
# the operator jar (with the chart's settings) against the API-only test cluster holding 1,000 VMs. The benchmarks
# on a real node (P4, P6, P7) are bench/run-node-bench.sh. Writes bench/results/<date>-system.md (machine table +
# summary + details) and <date>-system.json (the summary's rows).
#
# The Java harness is the bench module (io.agentvisor.bench), built by bench/build.sh. Libvirt (bench/libvirt.sh):
# installed with apt-get only when missing; virtlogd/libvirtd are started only when not running, and what this
# script started is stopped at the end (left running, with a warning, if someone else's domains use it meanwhile).
#
# Env: BENCH_PARTS=p3,p2,p5 (default: all), BENCH_KEEP_WORK=1 keeps the work directory (logs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/lib.sh"
. "$ROOT/bench/libvirt.sh"
PARTS="${BENCH_PARTS:-p3,p2,p5}"
DATE="$(date +%F)"
OUT="$ROOT/bench/results/$DATE-system.md"
WORK="$(mktemp -d /tmp/avsb.XXXXXX)"   # short: AF_UNIX socket paths live below it
chmod 755 "$WORK"                       # libvirt's qemu user must reach the guest files under it
JAVA_PID=""
log() { echo "[run-system-bench $(date +%T)] $*" >&2; }

# every process whose command line mentions our work dir
our_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    if { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF "$WORK"; then echo "${p#/proc/}"; fi
  done
}
descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}
cleanup() {
  set +e
  local pids=""
  # the harness's shutdown hooks stop the apiserver and its fixtures: give them time before anything is killed
  [ -n "$JAVA_PID" ] && pids="$(descendants "$JAVA_PID") $JAVA_PID"
  stop_harness 120
  pids="$pids $(our_pids)"
  for p in $pids; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
  if command -v virsh >/dev/null 2>&1 && [ "${LIBVIRT_STATUS:-}" = ok ]; then
    for d in $("${VIRSH[@]}" list --name 2>/dev/null | grep '^avbench-'); do
      "${VIRSH[@]}" destroy "$d" >/dev/null 2>&1
    done
  fi
  sleep 2
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  libvirt_down '^avbench-'
  remove_work
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build + classpath (snapshot of the artifacts)
. "$ROOT/bench/build.sh"
# the reactor's own classes and jars are copied first, so that a concurrent build cannot change them under a
# running benchmark; everything else comes from the local repository
mkdir -p "$WORK/lib"
CP=""
n=0
for e in $(tr ':' '\n' <<< "$BENCH_CP"); do
  case "$e" in
    "$ROOT"/*) n=$((n + 1)); cp -r "$e" "$WORK/lib/$n-$(basename "$e")"; e="$WORK/lib/$n-$(basename "$e")" ;;
  esac
  CP="${CP:+$CP:}$e"
done
cp -r operator/target/quarkus-app "$WORK/operator-app"

# ---------------------------------------------------------------- libvirt (only what is missing; stop what we start)
LIBVIRT_STATUS=ok
if [[ ",$PARTS," == *",p2,"* ]]; then
  libvirt_up 40
  LIBVIRT_STATUS="${LV_STATUS:-ok}"
  log "libvirt: $LIBVIRT_STATUS"
fi

# ---------------------------------------------------------------- machine table, run, assemble
libvirt_ver=$( (libvirtd --version 2>/dev/null || echo "not installed") | head -n 1)
machine_at_start

log "running $PARTS (log lines below; work directory $WORK)"
run_harness java -Xms512m -Xmx2g -Djava.util.logging.manager=org.jboss.logmanager.LogManager -Dagentvisor.root="$ROOT" \
  -cp "$CP" io.agentvisor.bench.SystemBench --out "$WORK/system" --work "$WORK" --libvirt "$LIBVIRT_STATUS" \
  --operator-jar "$WORK/operator-app/quarkus-run.jar" --parts "$PARTS"
write_report system "System benchmarks without a node (P2, P3, P5)" \
  "| libvirt | $libvirt_ver; status for this run: $LIBVIRT_STATUS |" \
  "$others_qemu qemu-system and $others_java java processes (counted at start; other sessions may build and test during the run)"
exit "$rc"
