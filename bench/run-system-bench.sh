#!/usr/bin/env bash
# System part of `make bench` that needs no node (P2, P3, P5): libvirt 9.0 beside Agentvisor on the same tiny
# guest (timeout precision with a frozen agent, a second concurrent caller), 200 polled host agents with 40 frozen,
# the operator jar (with the chart's settings) against the API-only test cluster holding 1,000 VMs. The benchmarks
# on a real node (P4, P6, P7) are bench/run-node-bench.sh. Writes bench/results/<date>-system.md (machine table +
# summary + details) and <date>-system.json (the summary's rows).
#
# The Java harness is the bench module (io.agentvisor.bench), built by bench/build.sh. Libvirt: installed with
# apt-get only when missing; virtlogd/libvirtd are started only when not running, and what this script started
# is stopped at the end.
#
# Env: BENCH_PARTS=p3,p2,p5 (default: all), BENCH_KEEP_WORK=1 keeps the work directory (logs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PARTS="${BENCH_PARTS:-p3,p2,p5}"
DATE="$(date +%F)"
OUT="$ROOT/bench/results/$DATE-system.md"
WORK="$(mktemp -d /tmp/avsb.XXXXXX)"   # short: AF_UNIX socket paths live below it
chmod 755 "$WORK"                       # libvirt's qemu user must reach the guest files under it
STARTED_PIDS=()                         # daemons this script started (stopped at exit)
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
  if [ -n "$JAVA_PID" ]; then
    pids="$(descendants "$JAVA_PID") $JAVA_PID"
    # the harness's shutdown hooks stop the apiserver and its fixtures: give them time before anything is killed
    kill -TERM "$JAVA_PID" 2>/dev/null
    for _ in $(seq 1 120); do kill -0 "$JAVA_PID" 2>/dev/null || break; sleep 0.5; done
  fi
  pids="$pids $(our_pids)"
  for p in $pids; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
  if command -v virsh >/dev/null 2>&1 && [ "${LIBVIRT_STATUS:-}" = ok ]; then
    for d in $(virsh -q -c qemu:///system list --name 2>/dev/null | grep '^avbench-'); do
      virsh -q -c qemu:///system destroy "$d" >/dev/null 2>&1
    done
  fi
  sleep 2
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  for p in "${STARTED_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$p" 2>/dev/null
  done
  if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
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
libvirt_up() {
  if ! command -v virsh >/dev/null 2>&1 || ! command -v libvirtd >/dev/null 2>&1 || ! command -v virtlogd >/dev/null 2>&1; then
    log "installing libvirt-daemon-system libvirt-clients (apt-get)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends \
        libvirt-daemon-system libvirt-clients >"$WORK/apt.log" 2>&1; then
      LIBVIRT_STATUS="apt-get install libvirt-daemon-system libvirt-clients failed: $(tail -n 2 "$WORK/apt.log" | tr '\n' ' ')"
      return
    fi
  fi
  if virsh -q -c qemu:///system version >/dev/null 2>&1; then return; fi   # someone runs it already: use it
  if [ -z "$(pidof virtlogd || true)" ]; then
    virtlogd -d || { LIBVIRT_STATUS="virtlogd -d failed"; return; }
    sleep 0.5; STARTED_PIDS+=($(pidof virtlogd))
  fi
  if [ -z "$(pidof libvirtd || true)" ]; then
    libvirtd -d || { LIBVIRT_STATUS="libvirtd -d failed"; return; }
    sleep 0.5; STARTED_PIDS+=($(pidof libvirtd))
  fi
  for _ in $(seq 1 40); do
    virsh -q -c qemu:///system version >/dev/null 2>&1 && return
    sleep 0.5
  done
  LIBVIRT_STATUS="libvirtd started but qemu:///system does not answer: $(virsh -q -c qemu:///system version 2>&1 | tail -n 1)"
}
if [[ ",$PARTS," == *",p2,"* ]]; then
  libvirt_up
  log "libvirt: $LIBVIRT_STATUS"
fi

# ---------------------------------------------------------------- machine table, run, assemble
mem_gib=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
others_qemu=$(ps -eo comm= | grep -c '^qemu-system' || true)
others_java=$(ps -eo comm= | grep -c '^java$' || true)
libvirt_ver=$( (libvirtd --version 2>/dev/null || echo "not installed") | head -n 1)
started=$(date -u +%FT%TZ)
T0=$(date +%s)

log "running $PARTS (log lines below; work directory $WORK)"
set +e
java -Xms512m -Xmx2g -Djava.util.logging.manager=org.jboss.logmanager.LogManager -Dagentvisor.root="$ROOT" -cp "$CP" io.agentvisor.bench.SystemBench \
  --out "$WORK/system" --work "$WORK" --libvirt "$LIBVIRT_STATUS" \
  --operator-jar "$WORK/operator-app/quarkus-run.jar" \
  --parts "$PARTS" &
JAVA_PID=$!
wait "$JAVA_PID"; rc=$?
JAVA_PID=""
set -e
took=$(( $(date +%s) - T0 ))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "# System benchmarks without a node (P2, P3, P5), $DATE"
  echo
  echo "Run by \`bench/run-system-bench.sh\` (part of \`make bench\`), started $started, took ${took} s, parts: $PARTS."
  echo
  echo "| machine | |"
  echo "|---|---|"
  echo "| cores (nproc) | $(nproc) |"
  echo "| memory | $mem_gib |"
  echo "| kernel | $(uname -r) |"
  echo "| QEMU | $(qemu-system-x86_64 --version | head -n 1) (TCG: no usable KVM) |"
  echo "| libvirt | $libvirt_ver; status for this run: $LIBVIRT_STATUS |"
  echo "| Java | $(java -version 2>&1 | head -n 1) |"
  echo "| load average at start / end | $load_start / $load_end |"
  echo "| other work on the machine at start | $others_qemu qemu-system and $others_java java processes (counted at start; other sessions may build and test during the run) |"
  echo
  echo "Numbers are from one run on a shared 2-core machine where other builds and tests run at the same time: they"
  echo "are noisy (see the load average) and meant for ratios and orders of magnitude, not for decimals."
  echo
  if [ -f "$WORK/system.md" ]; then cat "$WORK/system.md"; else echo "The harness wrote nothing (exit status $rc)."; fi
} > "$OUT"
if [ -f "$WORK/system.json" ]; then cp "$WORK/system.json" "${OUT%.md}.json"; else rm -f "${OUT%.md}.json"; fi
cat "$OUT"
log "wrote $OUT (harness exit status $rc)"
exit "$rc"
