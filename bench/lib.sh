# Sourced by the bench scripts (after `cd "$ROOT"`): what they share besides the build (bench/build.sh) and libvirt
# (bench/libvirt.sh). Uses the script's own log function and its WORK directory.

# stop_pid PID: TERM, up to 5 s, then KILL
stop_pid() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 20); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$1" 2>/dev/null || true
}

# remove_work: the work directory goes at exit, unless BENCH_KEEP_WORK=1 (then its path is logged)
remove_work() {
  if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}

# ---------------------------------------------------------------- a Java harness and its report (system, node)
# machine_at_start: load_start, others_qemu, others_java, started, T0 (the machine table's "at start" values)
machine_at_start() {
  load_start=$(cut -d' ' -f1-3 /proc/loadavg)
  others_qemu=$(ps -eo comm= | grep -c '^qemu-system' || true)
  others_java=$(ps -eo comm= | grep -c '^java$' || true)
  started=$(date -u +%FT%TZ)
  T0=$(date +%s)
}

# run_harness CMD...: runs the harness in the background as JAVA_PID (so that the script's cleanup can stop it, and a
# signal's trap runs at once), waits for it; sets rc (its exit status), took and load_end
run_harness() {
  set +e
  "$@" &
  JAVA_PID=$!
  wait "$JAVA_PID"; rc=$?
  JAVA_PID=""
  set -e
  took=$(( $(date +%s) - T0 ))
  load_end=$(cut -d' ' -f1-3 /proc/loadavg)
}

# stop_harness HALF_SECONDS: TERM to JAVA_PID (if it runs), then up to HALF_SECONDS x 0.5 s for its shutdown hooks
stop_harness() {
  [ -n "$JAVA_PID" ] || return 0
  kill -TERM "$JAVA_PID" 2>/dev/null
  for _ in $(seq 1 "$1"); do kill -0 "$JAVA_PID" 2>/dev/null || break; sleep 0.5; done
}

# write_report STEM TITLE ROW OTHERS: writes $OUT (TITLE, how this run went, the machine table with ROW, a whole
# table row, after QEMU's and OTHERS as its last cell, then the harness's $WORK/STEM.md), copies $WORK/STEM.json
# beside it (or removes an older one), prints it. Uses DATE, PARTS, rc and machine_at_start's and run_harness's values.
write_report() {
  local stem="$1" title="$2" row="$3" others="$4"
  {
    echo "# $title, $DATE"
    echo
    echo "Run by \`bench/$(basename "$0")\` (part of \`make bench\`), started $started, took ${took} s, parts: $PARTS."
    echo
    echo "| machine | |"
    echo "|---|---|"
    echo "| cores (nproc) | $(nproc) |"
    echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) |"
    echo "| kernel | $(uname -r) |"
    echo "| QEMU | $(qemu-system-x86_64 --version | head -n 1) (TCG: no usable KVM) |"
    echo "$row"
    echo "| Java | $(java -version 2>&1 | head -n 1) |"
    echo "| load average at start / end | $load_start / $load_end |"
    echo "| other work on the machine at start | $others |"
    echo
    echo "Numbers are from one run on a shared 2-core machine where other builds and tests run at the same time: they"
    echo "are noisy (see the load average) and meant for ratios and orders of magnitude, not for decimals."
    echo
    if [ -f "$WORK/$stem.md" ]; then cat "$WORK/$stem.md"; else echo "The harness wrote nothing (exit status $rc)."; fi
  } > "$OUT"
  if [ -f "$WORK/$stem.json" ]; then cp "$WORK/$stem.json" "${OUT%.md}.json"; else rm -f "${OUT%.md}.json"; fi
  cat "$OUT"
  log "wrote $OUT (harness exit status $rc)"
}
