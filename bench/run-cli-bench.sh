#!/usr/bin/env bash
# CLI part of `make bench`: every bin/agentvisor verb beside the command people would otherwise type, on the same
# machine, in the same run, interleaved (the order inside each group rotates), N runs each, medians and ratios.
#   cluster verbs: beside kubectl doing the same read/write against the same local kube-apiserver (one VM object)
#   socket verbs:  beside virsh doing the same call on a libvirt domain of the same tiny guest (qemu:///system),
#                  ours on a plain QEMU of that guest (-accel tcg, agent chardev on a unix socket); socat sending
#                  the same commands to our QEMU's socket is shown as the raw floor
# Each verb twice: "warm daemon" (bin/agentvisor's default: a resident per-user JVM, after one untimed call) and
# "fresh JVM" (AGENTVISOR_CLI_DAEMON=off), plus `status` as the first call that starts the daemon. The daemons live
# in a runtime directory under this script's work directory (AGENTVISOR_CLI_RUNTIME_DIR) and are stopped at exit; a
# mode whose daemon never ran (no process with that directory) is labelled as the fresh JVM it was.
# Goal (issue "The CLI answers about as fast as kubectl and virsh"): cluster verbs <= 5x kubectl, socket verbs <= 5x
# virsh. A reference that cannot be measured (libvirt does not start, the domain's agent never answers) fails the
# run: its rows say why, the exit status is 1. Writes bench/results/<date>-cli.md and <date>-cli.json.
#   N=15 (runs per command)  SKIP_BUILD=1 (use the built cli/target as is)  BENCH_KEEP_WORK=1 (keep logs)
# libvirt (bench/libvirt.sh): installed with apt-get only when missing; virtlogd/libvirtd started only when not
# running, and what this script started is stopped at exit (left running, with a warning, if someone else's domains
# use it meanwhile). The libvirt domain is the tiny guest's of P2 (bench/src/main/resources/tiny-guest-domain.xml).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/scripts/lib.sh"
source "$ROOT/bench/lib.sh"
source "$ROOT/bench/libvirt.sh"
N="${N:-15}"
day=$(date +%F)
OUT_MD="$ROOT/bench/results/$day-cli.md"
OUT_JSON="$ROOT/bench/results/$day-cli.json"
mkdir -p "$ROOT/bench/results"
# an earlier run's files of the same day must not pass for this run's if this one fails
rm -f "$OUT_MD" "$OUT_JSON"
T0=$(date +%s)

log() { printf '==> [%s] %s\n' "$(date +%T)" "$*" >&2; }
for tool in kubectl socat curl java python3 qemu-system-x86_64 timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found (make deps installs it)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time not found (Debian package time)" >&2; exit 1; }
for f in vmlinuz initramfs.cpio.gz; do
  [ -f "$GUEST_DIR/$f" ] || { echo "bench: $GUEST_DIR/$f missing (make deps builds the tiny guest)" >&2; exit 1; }
done

if [ -z "${SKIP_BUILD:-}" ]; then
  log "building the CLI (cli module; its package step makes the start-up archive)"
  "$ROOT/mvnw" -B -q -pl cli -am package -DskipTests
fi

WORK="$(mktemp -d /tmp/avclib.XXXXXX)"   # short: AF_UNIX socket paths live below it
chmod 755 "$WORK"                        # libvirt's qemu user must reach the guest files under it
RT="$WORK/run"                           # the CLI daemons' runtime directory
mkdir -m 700 "$RT"                       # the CLI uses no daemon in a directory others could open
DOM="avcli-$$"
QEMU_PID=""
LV_CREATE_PID=""
GUEST_STATUS=""        # empty while fine; else why our plain QEMU (its agent feeds our socket verbs and the socat
                       # floor) could not be measured; LV_STATUS (bench/libvirt.sh) is the same for the virsh reference

# the CLI with the daemons of this run: default mode (daemon) and one fresh JVM per call
AVW="env AGENTVISOR_CLI_RUNTIME_DIR=$RT $ROOT/bin/agentvisor"
AVF="env AGENTVISOR_CLI_DAEMON=off AGENTVISOR_CLI_RUNTIME_DIR=$RT $ROOT/bin/agentvisor"

# processes started through this run's CLI runtime directory (the daemons): by pid, found by their environment or
# command line (one grep over all of /proc each: the globs are expanded before grep runs, so it never finds itself)
daemon_pids() {
  { grep -lzF "AGENTVISOR_CLI_RUNTIME_DIR=$RT" /proc/[0-9]*/environ 2>/dev/null
    grep -lF "$RT" /proc/[0-9]*/cmdline 2>/dev/null; } | cut -d/ -f3 | sort -un | grep -vx -e "$$" -e "$BASHPID" || true
}
cleanup() {
  set +e
  log "cleaning up"
  $AVW daemon stop >/dev/null 2>&1
  for p in $(daemon_pids); do stop_pid "$p"; done
  if [ -n "$LV_CREATE_PID" ]; then
    # interrupted during virsh create: libvirtd may still finish creating the domain
    pkill -TERM -P "$LV_CREATE_PID" 2>/dev/null; kill "$LV_CREATE_PID" 2>/dev/null
    for _ in $(seq 1 20); do "${VIRSH[@]}" domstate "$DOM" >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  if command -v virsh >/dev/null 2>&1; then
    if "${VIRSH[@]}" domstate "$DOM" >/dev/null 2>&1; then
      "${VIRSH[@]}" destroy "$DOM" >/dev/null 2>&1
      "${VIRSH[@]}" undefine "$DOM" >/dev/null 2>&1   # transient (virsh create): gone with destroy; defensive
    fi
  fi
  libvirt_down "^$DOM\$"
  [ -n "$QEMU_PID" ] && stop_pid "$QEMU_PID" && wait "$QEMU_PID" 2>/dev/null
  QUIET=1 bash "$ROOT/scripts/cluster.sh" down "$WORK/k8s" --purge >/dev/null 2>&1
  remove_work
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- libvirt: daemons, then the domain (background)
libvirt_up
if [ -z "$LV_STATUS" ]; then
  log "libvirt: creating domain $DOM (a fresh libvirtd probes QEMU's capabilities first: about a minute)"
  mkdir -p "$WORK/lv"
  cp "$GUEST_DIR/vmlinuz" "$GUEST_DIR/initramfs.cpio.gz" "$WORK/lv/"
  chmod 755 "$WORK/lv"; chmod 644 "$WORK/lv/"*
  lv_domain_xml "$DOM" "$WORK/lv" > "$WORK/lv/domain.xml"
  # the daemon's first connection and first create are slow; both in the background while the rest starts
  (
    lv_wait 120 || true
    rc=0
    timeout 300 "${VIRSH[@]}" create "$WORK/lv/domain.xml" >"$WORK/lv/create.log" 2>&1 || rc=$?
    echo "$rc" > "$WORK/lv/create.rc"
  ) &
  LV_CREATE_PID=$!
fi

# ---------------------------------------------------------------- our plain QEMU of the same guest
log "starting a plain QEMU of the tiny guest ($WORK/q, -accel tcg, agent on a unix socket)"
mkdir -p "$WORK/q"
SOCK="$WORK/q/qga.sock"
qemu-system-x86_64 -machine q35 -accel tcg -m 256 -nographic -nic none \
  -kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initramfs.cpio.gz" -append 'console=ttyS0 quiet' \
  -device virtio-serial -chardev "socket,path=$SOCK,server=on,wait=off,id=qga0" \
  -device virtserialport,chardev=qga0,id=qga0-port,name=org.qemu.guest_agent.0 \
  -qmp "unix:$WORK/q/qmp.sock,server=on,wait=off" </dev/null >"$WORK/q/console.log" 2>&1 &
QEMU_PID=$!

# ---------------------------------------------------------------- the cluster with one VM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
log "starting a local kube-apiserver for the bench ($WORK/k8s)"
QUIET=1 WATCH_PID=$$ ETCD_PORT=$(free_port) ETCD_PEER_PORT=$(free_port) APISERVER_PORT=$(free_port) \
  bash "$ROOT/scripts/cluster.sh" up "$WORK/k8s"
export KUBECONFIG="$WORK/k8s/kubeconfig"
read -r _ _ API_PORT < "$WORK/k8s/ports"
# the admin's static token (cluster.sh keeps one per identity in pki/tokens.csv: token,user,uid[,groups])
TOKEN="$(awk -F, '$2 == "agentvisor-admin" {print $1}' "$WORK/k8s/pki/tokens.csv")"
[ -n "$TOKEN" ] || { echo "bench: no agentvisor-admin token in $WORK/k8s/pki/tokens.csv" >&2; exit 1; }

# one VM as the operator and a node would have written it (status through the status subresource)
kubectl apply -f - >/dev/null <<'EOF'
apiVersion: agentvisor.io/v1alpha1
kind: VirtualMachine
metadata:
  name: bench
  labels: {app: demo}
spec:
  runStrategy: Always
  cpu: {cores: 1}
  memory: 256Mi
  boot:
    kernel: /var/lib/agentvisor/images/tiny-guest/vmlinuz
    initrd: /var/lib/agentvisor/images/tiny-guest/initramfs.cpio.gz
  guestAgent: {enabled: true}
EOF
now="$(date -u +%FT%TZ)"
curl -sfk -X PATCH -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/merge-patch+json' \
  "https://127.0.0.1:$API_PORT/apis/agentvisor.io/v1alpha1/namespaces/default/virtualmachines/bench/status" \
  -d @- >/dev/null <<EOF
{"status":{"phase":"Running","nodeName":"local","qemu":{"pid":4242},
 "agentPolicy":{"responseTimeout":3,"unresponsiveAfter":3,"source":"GuestAgentPolicy/default/demo"},
 "agent":{"state":"Responsive","connected":true,"responsive":true,"responseTimeout":3,"version":"7.2.0","lastContact":"$now"},
 "guest":{"hostname":"agentvisor-guest","osInfo":{"id":"agentvisor-tiny","prettyName":"Agentvisor Tiny Guest 1.0 (Debian 12 userland)","kernelRelease":"6.1.0-50-amd64","machine":"x86_64"},
  "timezone":{"name":"UTC","offset":0},"users":[{"userName":"root","loginTime":1700000000.5}],
  "filesystems":[{"name":"vda","mountPoint":"/","type":"ext4","usedBytes":1048576,"totalBytes":268435456}],
  "interfaces":[{"name":"eth0","mac":"52:54:00:12:34:56","ipAddresses":["10.0.2.15/24"]}]}}}
EOF

# ---------------------------------------------------------------- the raw floor: socat + a bash peer
# socat connects, the peer writes guest-sync-delimited and the commands, reads one reply line per request and exits
# (socat exits with it): what any client that opens the socket per call must do at least.
cat > "$WORK/raw-agent.sh" <<'EOF'
#!/usr/bin/env bash
# raw-agent.sh CMD...: guest-sync-delimited, then each command; one reply line each (stdout is the socket)
id=$RANDOM
printf '\xff{"execute":"guest-sync-delimited","arguments":{"id":%d}}\n' "$id"
# qemu-ga answers the 0xFF itself with an error line: skip to the sync reply
while IFS= read -r -t 10 line; do [[ "$line" == *"\"return\": $id}"* ]] && break; done
[[ "$line" == *"\"return\": $id}"* ]] || exit 1
for c in "$@"; do printf '{"execute":"%s"}\n' "$c"; IFS= read -r -t 10 reply || exit 1; done
printf '%s\n' "$reply" >&2
EOF
printf '#!/usr/bin/env bash\nexec socat "UNIX-CONNECT:%s" "EXEC:%s $*"\n' "$SOCK" "$WORK/raw-agent.sh" > "$WORK/raw.sh"
chmod +x "$WORK/raw-agent.sh" "$WORK/raw.sh"
RAW="$WORK/raw.sh"
GUESTINFO_CMDS="guest-info guest-get-osinfo guest-get-host-name guest-get-timezone guest-get-users guest-get-fsinfo guest-network-get-interfaces guest-get-time"

# ---------------------------------------------------------------- both guests' agents answer before timing
log "waiting for the plain QEMU guest's agent"
t=$(date +%s)
until timeout 12 "$RAW" guest-ping >/dev/null 2>&1; do
  if ! kill -0 "$QEMU_PID" 2>/dev/null; then
    GUEST_STATUS="the plain QEMU exited during boot: $(tail -c 300 "$WORK/q/console.log" | tr '\n' ' ')"; break
  fi
  if (( $(date +%s) - t > 180 )); then GUEST_STATUS="the plain QEMU guest's agent did not answer within 180 s"; break; fi
  sleep 1
done
[ -z "$GUEST_STATUS" ] && log "plain QEMU guest's agent answers ($(( $(date +%s) - t )) s after the cluster was up)"
if [ -z "$LV_STATUS" ]; then
  log "waiting for libvirt's domain $DOM and its agent"
  # polled rather than `wait`ed: a signal's trap runs within a second
  while kill -0 "$LV_CREATE_PID" 2>/dev/null; do sleep 1; done
  LV_CREATE_PID=""
  if [ "$(cat "$WORK/lv/create.rc" 2>/dev/null)" != 0 ]; then
    LV_STATUS="virsh create failed (exit $(cat "$WORK/lv/create.rc" 2>/dev/null || echo '?')): $(tail -n 3 "$WORK/lv/create.log" | tr '\n' ' ')"
  else
    t=$(date +%s)
    until "${VIRSH[@]}" qemu-agent-command "$DOM" --timeout 1 '{"execute":"guest-ping"}' >/dev/null 2>&1; do
      if (( $(date +%s) - t > 180 )); then LV_STATUS="the libvirt domain's agent did not answer within 180 s"; break; fi
      sleep 1
    done
    [ -z "$LV_STATUS" ] && log "libvirt domain's agent answers ($(( $(date +%s) - t )) s after virsh create returned)"
  fi
fi
[ -n "$GUEST_STATUS" ] && log "NOT measurable: our socket verbs: $GUEST_STATUS"
[ -n "$LV_STATUS" ] && log "NOT measurable: the virsh reference: $LV_STATUS"

# ---------------------------------------------------------------- the commands: key|command|stdout must match (ERE)
CMDS=(
  "status-w|$AVW status|bench"
  "status-f|$AVF status|bench"
  "k-list|kubectl get vm -o wide|bench"
  "gi-w|$AVW guestinfo bench|agentvisor-guest"
  "gi-f|$AVF guestinfo bench|agentvisor-guest"
  "k-wide|kubectl get vm bench -o wide|bench"
  "gij-w|$AVW guestinfo bench -o json|agentvisor-guest"
  "gij-f|$AVF guestinfo bench -o json|agentvisor-guest"
  "k-json|kubectl get vm bench -o json|agentvisor-guest"
  "gat-w|$AVW guest-agent-timeout bench|3"
  "gat-f|$AVF guest-agent-timeout bench|3"
  "k-path|kubectl get vm bench -o jsonpath='{.status.agentPolicy.responseTimeout}'|3"
  "gatw-w|$AVW guest-agent-timeout bench --timeout 3|"
  "gatw-f|$AVF guest-agent-timeout bench --timeout 3|"
  "k-patch|kubectl patch vm bench --type merge -p '{\"spec\":{\"guestAgent\":{\"responseTimeout\":3}}}'|patched"
  "ping-w|$AVW agent-command --socket $SOCK '{\"execute\":\"guest-ping\"}'|\"return\""
  "ping-f|$AVF agent-command --socket $SOCK '{\"execute\":\"guest-ping\"}'|\"return\""
  "v-ping|${VIRSH[*]} qemu-agent-command $DOM '{\"execute\":\"guest-ping\"}'|\"return\""
  "raw-ping|$RAW guest-ping|\"return\""
  "ginfo-w|$AVW guestinfo --socket $SOCK|agentvisor-guest"
  "ginfo-f|$AVF guestinfo --socket $SOCK|agentvisor-guest"
  "v-ginfo|${VIRSH[*]} guestinfo $DOM|hostname +: agentvisor-guest"
  "raw-ginfo|$RAW $GUESTINFO_CMDS|\"return\""
  "ver-w|$AVW --version|."
  "ver-f|$AVF --version|."
  "k-ver|kubectl version --client|Client Version"
  "first|$AVW status|bench"
  "k-list1|kubectl get vm -o wide|bench"
)
declare -A CMD EXPECT
for c in "${CMDS[@]}"; do
  IFS='|' read -r k cmd exp <<< "$c"
  CMD[$k]="$cmd"; EXPECT[$k]="$exp"
done
# interleaved groups: each iteration runs every group once, its members in rotating order
GROUPS_=(
  "status-w status-f k-list"
  "gi-w gi-f k-wide"
  "gij-w gij-f k-json"
  "gat-w gat-f k-path"
  "gatw-w gatw-f k-patch"
  "ver-w ver-f k-ver"
)
SOCKET_GROUPS=()
if [ -z "$GUEST_STATUS" ]; then
  if [ -z "$LV_STATUS" ]; then
    SOCKET_GROUPS=("ping-w ping-f v-ping raw-ping" "ginfo-w ginfo-f v-ginfo raw-ginfo")
  else
    SOCKET_GROUPS=("ping-w ping-f raw-ping" "ginfo-w ginfo-f raw-ginfo")
  fi
fi
GROUPS_+=("${SOCKET_GROUPS[@]}")

# run KEY: prints "wall_ms cpu_ms" (wall from the clock, CPU = user + sys of the command's process tree; a server
# it talks to, the CLI daemon or libvirtd, is not in that tree)
TF="$WORK/time"
OUTF="$WORK/out"
run() {
  local s e
  s=$(date +%s%N)
  if ! eval "/usr/bin/time -f '%U %S' -o '$TF' ${CMD[$1]}" >"$OUTF" 2>&1; then
    echo "bench: failed: ${CMD[$1]}: $(tail -c 400 "$OUTF")" >&2; exit 1
  fi
  e=$(date +%s%N)
  if [ -n "${EXPECT[$1]}" ] && ! grep -Eq -- "${EXPECT[$1]}" "$OUTF"; then
    echo "bench: ${CMD[$1]}: its output lacks /${EXPECT[$1]}/: $(tail -c 400 "$OUTF")" >&2; exit 1
  fi
  awk -v w=$(( (e - s) / 1000 )) '{ printf "%.1f %.0f\n", w / 1000, ($1 + $2) * 1000 }' "$TF"
}

# sanity, untimed: every command once (a failing command would time an error path); for the daemon mode this is
# also the one call that starts and warms the daemon
log "every command once, untimed (starts the CLI daemon)"
for g in "${GROUPS_[@]}"; do for k in $g; do run "$k" >/dev/null; done; done
DAEMON_SEEN=false
[ -n "$(ls -A "$RT")" ] && DAEMON_SEEN=true
DAEMON_PIDS="$(daemon_pids | tr '\n' ' ')"
log "CLI daemon: runtime dir entries: $(ls -A "$RT" | tr '\n' ' ')${DAEMON_PIDS:+; processes: $DAEMON_PIDS}"

# the daemons' own CPU (user + sys, in clock ticks) is not in a warm call's process tree: summed over the timed phase
cpu_ticks() {
  local p t=0 f
  for p in "$@"; do
    f="$(cat "/proc/$p/stat" 2>/dev/null)" || continue
    read -r -a f <<< "${f##*) }"   # after "pid (comm) ": state is f[0], utime f[11], stime f[12]
    t=$((t + f[11] + f[12]))
  done
  echo "$t"
}
daemon_ticks_before="$(cpu_ticks $DAEMON_PIDS)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
others_at_start="$(ps -eo comm= | grep -c '^qemu-system' || true) qemu-system (2 of them this bench's), $(ps -eo comm= | grep -c '^java$' || true) java"
log "timing ${#GROUPS_[@]} groups, $N runs each, interleaved"
: > "$WORK/samples"
for i in $(seq 1 "$N"); do
  for gi in "${!GROUPS_[@]}"; do
    read -r -a m <<< "${GROUPS_[$gi]}"
    for j in "${!m[@]}"; do
      k="${m[$(( (i + gi + j) % ${#m[@]} ))]}"
      r=$(run "$k") || exit 1
      echo "$i $k $r" >> "$WORK/samples"
    done
  done
done
# the same daemon processes as at the start (a daemon that restarted meanwhile is not counted, and says so)
daemon_ticks_after="$(cpu_ticks $DAEMON_PIDS)"
DAEMON_PIDS_AFTER="$(daemon_pids | tr '\n' ' ')"
DAEMON_CPU_MS=$(( (daemon_ticks_after - daemon_ticks_before) * 1000 / $(getconf CLK_TCK) ))
WARM_CALLS=$(grep -c ' [a-z]*-w ' "$WORK/samples" || true)
# the first call: the daemon stopped before each (untimed), paired with kubectl in alternating order
log "timing the first call (daemon stopped before each), $N runs"
STOP_OK=0
: > "$WORK/first-daemon"
for i in $(seq 1 "$N"); do
  if (( i % 2 )); then r=$(run k-list1) || exit 1; echo "$i k-list1 $r" >> "$WORK/samples"; fi
  $AVW daemon stop >/dev/null 2>&1 && STOP_OK=$((STOP_OK + 1)) || true
  r=$(run first) || exit 1; echo "$i first $r" >> "$WORK/samples"
  # the daemon this call started runs on: its CPU so far (start + this call) is not in the call's process tree
  d="$(daemon_pids | tr '\n' ' ')"
  if [ -n "$d" ]; then echo "$i first-daemon 0 $(( $(cpu_ticks $d) * 1000 / $(getconf CLK_TCK) ))" >> "$WORK/first-daemon"; fi
  if (( i % 2 == 0 )); then r=$(run k-list1) || exit 1; echo "$i k-list1 $r" >> "$WORK/samples"; fi
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
took=$(( $(date +%s) - T0 ))

# ---------------------------------------------------------------- rows: label|mode|ours|reference|kind|reference name
W="warm daemon"; F="fresh JVM (AGENTVISOR_CLI_DAEMON=off)"
ROWS=(
  "status (list)|$W|status-w|k-list|cluster|kubectl get vm -o wide"
  "status (list)|$F|status-f|k-list|cluster|kubectl get vm -o wide"
  "status (list)|first call (starts the daemon)|first|k-list1|cluster|kubectl get vm -o wide"
  "guestinfo VM|$W|gi-w|k-wide|cluster|kubectl get vm NAME -o wide"
  "guestinfo VM|$F|gi-f|k-wide|cluster|kubectl get vm NAME -o wide"
  "guestinfo VM -o json|$W|gij-w|k-json|cluster|kubectl get vm NAME -o json"
  "guestinfo VM -o json|$F|gij-f|k-json|cluster|kubectl get vm NAME -o json"
  "guest-agent-timeout VM (read)|$W|gat-w|k-path|cluster|kubectl get vm NAME -o jsonpath=..."
  "guest-agent-timeout VM (read)|$F|gat-f|k-path|cluster|kubectl get vm NAME -o jsonpath=..."
  "guest-agent-timeout VM --timeout 3 (write)|$W|gatw-w|k-patch|cluster|kubectl patch vm NAME --type merge -p ..."
  "guest-agent-timeout VM --timeout 3 (write)|$F|gatw-f|k-patch|cluster|kubectl patch vm NAME --type merge -p ..."
  "agent-command --socket guest-ping|$W|ping-w|v-ping|socket|virsh qemu-agent-command DOM guest-ping"
  "agent-command --socket guest-ping|$F|ping-f|v-ping|socket|virsh qemu-agent-command DOM guest-ping"
  "agent-command --socket guest-ping|$W|ping-w|raw-ping|floor|socat raw floor: sync + guest-ping"
  "guestinfo --socket|$W|ginfo-w|v-ginfo|socket|virsh guestinfo DOM"
  "guestinfo --socket|$F|ginfo-f|v-ginfo|socket|virsh guestinfo DOM"
  "guestinfo --socket|$W|ginfo-w|raw-ginfo|floor|socat raw floor: sync + the same 8 commands"
  "--version (CLI start, no I/O)|$W|ver-w|k-ver|local|kubectl version --client"
  "--version (CLI start, no I/O)|$F|ver-f|k-ver|local|kubectl version --client"
)
printf '%s\n' "${ROWS[@]}" > "$WORK/rows"
first_line() { "$@" 2>&1 | sed -n 1p || true; }
machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | sed -n 1p)"
tools="$(first_line java -version); $(first_line kubectl version --client); kube-apiserver 1.20.2 (local); $(first_line qemu-system-x86_64 --version); libvirt $(first_line virsh --version) (qemu:///system); $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/socat \1/p' || true)"

rc=0
DAY="$day" N="$N" MACHINE="$machine" TOOLS="$tools" LOAD_BEFORE="$load_before" LOAD_AFTER="$load_after" \
FIRST_DAEMON_CPU="$(awk '{ print $4 }' "$WORK/first-daemon" 2>/dev/null | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')" \
FIRST_DAEMON_N="$(wc -l < "$WORK/first-daemon")" \
OTHERS="$others_at_start" TOOK="$took" LV_STATUS="$LV_STATUS" GUEST_STATUS="$GUEST_STATUS" \
DAEMON_SEEN="$DAEMON_SEEN" STOP_OK="$STOP_OK" DAEMON_PIDS="$DAEMON_PIDS" DAEMON_PIDS_AFTER="$DAEMON_PIDS_AFTER" \
DAEMON_CPU_MS="$DAEMON_CPU_MS" WARM_CALLS="$WARM_CALLS" OUT_MD="$OUT_MD" OUT_JSON="$OUT_JSON" \
python3 - "$WORK/samples" "$WORK/rows" <<'PY' || rc=$?
import json, os, statistics, sys
env = os.environ
samples = {}
raw = []
for line in open(sys.argv[1]):
    i, k, w, c = line.split()
    samples.setdefault(k, []).append((float(w), float(c)))
    raw.append({"run": int(i), "command": k, "wallMs": float(w), "cpuMs": float(c)})
lv, guest = env["LV_STATUS"], env["GUEST_STATUS"]
daemon_seen = env["DAEMON_SEEN"] == "true"
dpids = env["DAEMON_PIDS"].split()
stop_ok = int(env["STOP_OK"])
n = int(env["N"])
# a mode is named for what ran: without a daemon process the default mode is a fresh JVM as well
warm_ran = bool(dpids)
first_ran = int(env["FIRST_DAEMON_N"]) == n and stop_ok == n
goals = {"cluster": "≤ 5× kubectl", "socket": "≤ 5× virsh"}
rows, failures = [], []
for line in open(sys.argv[2]):
    label, mode, ours, ref, kind, refname = line.rstrip("\n").split("|")
    if mode == "warm daemon" and not warm_ran:
        mode = "warm daemon (none ran: a fresh JVM too)"
    if mode.startswith("first call") and not first_ran:
        mode = "first call (no daemon started: a fresh JVM too)"
    failed = None
    if ours not in samples:
        failed = "agentvisor not measured: " + (guest or "no samples")
    elif ref not in samples:
        failed = "reference not measured: " + ((lv if ref.startswith("v-") else guest) or "no samples")
    med = lambda k, n: round(statistics.median(s[n] for s in samples[k]), 1) if k in samples else None
    ow, oc, rw, rc = med(ours, 0), med(ours, 1), med(ref, 0), med(ref, 1)
    ratio = round(ow / rw, 1) if ow is not None and rw else None
    goal = goals.get(kind, "")
    met = None if failed or not goal else ratio <= 5
    if failed:
        failures.append(f"{label} ({mode}): {failed}")
    rows.append({"verb": label, "mode": mode, "kind": kind, "reference": refname,
                 "agentvisorWallMs": ow, "referenceWallMs": rw, "ratio": ratio,
                 "agentvisorCpuMs": oc, "referenceCpuMs": rc, "goal": goal, "goalMet": met, "failed": failed})

def ms(v): return "—" if v is None else f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms"
def cpu(v): return "—" if v is None else f"{v:.0f} ms"
md = [f"# CLI benchmark, {env['DAY']} (make bench)", "",
      f"| machine | {env['MACHINE']}; load average {env['LOAD_BEFORE']} before, {env['LOAD_AFTER']} after; at start {env['OTHERS']} processes on the machine |",
      "|---|---|",
      f"| tools | {env['TOOLS']} |",
      f"| run | `bench/run-cli-bench.sh`, N={n}, took {env['TOOK']} s (setup included) |", "",
      f"{n} runs per command, interleaved (each iteration runs every group once: a verb's agentvisor modes and its "
      "references, in rotating order), medians. Wall = what a user waits; CPU = user + sys of the command's own "
      "process tree, in 10 ms ticks: the warm CLI daemon's and libvirtd's work is not in it (both are servers the "
      "command talks to).",
      "",
      "- **warm daemon**: `bin/agentvisor` as it starts by default (a resident JVM per user, keyed by environment "
      "and working directory), after one untimed call; runtime directory `AGENTVISOR_CLI_RUNTIME_DIR` under the "
      "bench's work directory. **fresh JVM**: `AGENTVISOR_CLI_DAEMON=off`, one JVM per call. **first call**: "
      "`bin/agentvisor daemon stop` (untimed), then the timed call starts the daemon; its kubectl runs are paired "
      "in the same phase.",
      ("- This CLI ran a daemon: its runtime directory had entries after the first call, and `daemon stop` "
       f"succeeded {stop_ok} of {n} times." if daemon_seen and stop_ok == n else
       f"- **This CLI has no working daemon**: after the first call its runtime directory was "
       f"{'not empty' if daemon_seen else 'empty'} and `daemon stop` succeeded {stop_ok} of {n} times, so the "
       "\"warm daemon\" and \"first call\" rows measured a fresh JVM too (same command, default environment)."),
      (f"- The daemon's own CPU (process{'es' if len(dpids) > 1 else ''} {', '.join(dpids)}, not in the warm rows' CPU "
       f"column): {env['DAEMON_CPU_MS']} ms over the {env['WARM_CALLS']} timed warm calls, "
       f"{int(env['DAEMON_CPU_MS']) / max(1, int(env['WARM_CALLS'])):.0f} ms per call"
       + ("." if dpids == env["DAEMON_PIDS_AFTER"].split() else
          f" (the daemon processes changed during the phase: {' '.join(dpids)} before, "
          f"{env['DAEMON_PIDS_AFTER'].strip() or 'none'} after; only the first are counted).")
       if dpids else "- No daemon process (none had the bench's runtime directory in its environment or command line)."),
      (f"- First call: the daemon it started had used {env['FIRST_DAEMON_CPU']} ms CPU (median of "
       f"{env['FIRST_DAEMON_N'].strip()}) when the call returned, not in the row's CPU column."
       if env.get("FIRST_DAEMON_CPU") else
       "- First call: no daemon process was found after it."),
      "- Cluster verbs: the same local kube-apiserver, one VirtualMachine with a node-written status; kubectl 1.32 "
      "doing the same read or write.",
      "- Socket verbs: the same tiny guest twice, each booted with `-accel tcg`, q35, 256 MiB, 1 vCPU: ours a plain "
      "QEMU with the agent chardev on a unix socket (`--socket`), virsh's a libvirt domain (transient, direct "
      "kernel boot, unix channel for org.qemu.guest_agent.0). Both agents answered before timing.",
      "- `agent-command --socket` vs `virsh qemu-agent-command`: the same guest-ping, but not the same exchange: "
      "ours connects to the socket, sends guest-sync-delimited, then guest-ping; virsh asks libvirtd, which "
      "sends guest-ping alone on the agent connection it keeps open and synchronised (libvirt 9.0 syncs once per "
      "connection, not per call: checked in libvirtd's debug log of qemu.qemu_agent).",
      "- `guestinfo --socket` vs `virsh guestinfo`: not the same commands. Ours: connect, sync, then 8 commands "
      "(guest-info, guest-get-osinfo, -host-name, -timezone, -users, -fsinfo, guest-network-get-interfaces, "
      "guest-get-time). virsh (libvirt 9.0, debug log): 7 commands (guest-get-users, -osinfo, -timezone, "
      "-host-name, -fsinfo, -disks, guest-network-get-interfaces), no guest-info and no guest-get-time, no sync.",
      "- socat raw floor: socat + a bash peer sending guest-sync-delimited and the same 8 commands to our QEMU's "
      "socket: what a client that connects per call must do at least (three process starts included). Not a floor "
      "for virsh, whose libvirtd keeps its agent connection open. No goal; shown for scale.",
      "",
      "| verb | agentvisor mode | agentvisor wall | reference | reference wall | ratio (wall) | agentvisor CPU | reference CPU | goal | |",
      "|---|---|---:|---|---:|---:|---:|---:|---|---|"]
for r in rows:
    verdict = "failed" if r["failed"] else ("" if r["goalMet"] is None else "met" if r["goalMet"] else "NOT met")
    md.append(f"| `{r['verb']}` | {r['mode']} | {ms(r['agentvisorWallMs'])} | `{r['reference']}` | "
              f"{ms(r['referenceWallMs'])} | {'—' if r['ratio'] is None else str(r['ratio']) + '×'} | "
              f"{cpu(r['agentvisorCpuMs'])} | {cpu(r['referenceCpuMs'])} | {r['goal'] or '(for scale)'} | {verdict} |")
if failures:
    md += ["", "## Failed (a reference or value that could not be measured)", ""] + [f"- {f}" for f in failures]
open(env["OUT_MD"], "w").write("\n".join(md) + "\n")
json.dump({"date": env["DAY"], "runs": n, "machine": env["MACHINE"], "tools": env["TOOLS"],
           "loadBefore": env["LOAD_BEFORE"], "loadAfter": env["LOAD_AFTER"], "tookSeconds": int(env["TOOK"]),
           "daemon": {"firstCallDaemonCpuMsMedian": int(env["FIRST_DAEMON_CPU"]) if env.get("FIRST_DAEMON_CPU") else None,
                      "runtimeDirUsed": daemon_seen, "stopSucceeded": stop_ok, "stopAttempts": n, "pids": dpids,
                      "cpuMsTimedPhase": int(env["DAEMON_CPU_MS"]) if dpids else None,
                      "warmCallsTimed": int(env["WARM_CALLS"])},
           "failures": failures, "rows": rows, "samples": raw},
          open(env["OUT_JSON"], "w"), ensure_ascii=False, indent=1)
print("\n".join(md))
sys.exit(1 if failures else 0)
PY
echo "==> $OUT_MD, $OUT_JSON (took $(( $(date +%s) - T0 )) s)"
exit "$rc"
