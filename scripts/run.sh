#!/usr/bin/env bash
# `make run`: a whole local Agentvisor in the foreground: the control plane (scripts/cluster.sh), the operator,
# one agent-driver for node "local", and the examples. It supervises the operator and the driver like a kubelet
# (a process that dies is restarted with back-off). Ctrl-C or `make down` stops everything it started: the driver
# shuts the VMs down gracefully first. State (etcd, VM directories) stays in .agentvisor/, so the next
# `make run` brings the same VMs back.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib.sh"
STATE="$ROOT/.agentvisor"
LOGS="$STATE/logs"
NODE="${NODE_NAME:-local}"
# AF_UNIX socket paths are limited to ~107 bytes: keep the driver's run dir short, whatever the checkout path
RUN_DIR="${AGENTVISOR_RUN_DIR:-/run/agentvisor/$NODE}"
OPERATOR_PORT="${OPERATOR_PORT:-18080}"
DRIVER_PORT="${DRIVER_PORT:-18081}"
export KUBECONFIG="$STATE/kubeconfig"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }

mkdir -p "$LOGS"
if [ -f "$STATE/run.pid" ] && kill -0 "$(cat "$STATE/run.pid")" 2>/dev/null; then
  echo "make run is already running (pid $(cat "$STATE/run.pid")); 'make down' stops it" >&2
  exit 1
fi
echo $$ > "$STATE/run.pid"

step "Dependencies (Debian packages, kube-apiserver 1.20.2, tiny guest; cached in $AGENTVISOR_CACHE)"
bash "$ROOT/scripts/deps.sh" all || exit 1

step "Building the operator, the driver and bin/agentvisor (Maven, no tests)"
(cd "$ROOT" && ./mvnw -B -q install -DskipTests) || { echo "build failed" >&2; exit 1; }

step "Local control plane (etcd + kube-apiserver on 127.0.0.1, state in .agentvisor/)"
bash "$ROOT/scripts/cluster.sh" up || exit 1

OPERATOR_JAR="$ROOT/operator/target/quarkus-app/quarkus-run.jar"
DRIVER_JAR="$ROOT/agent-driver/target/quarkus-app/quarkus-run.jar"

# supervise NAME CMD...: keeps CMD running, restarting it with back-off (1 s doubling to 30 s; reset after 60 s up)
supervise() {
  local name="$1"; shift
  local backoff=1
  while [ ! -f "$STATE/stopping" ]; do
    local started; started=$(date +%s)
    "$@" >>"$LOGS/$name.log" 2>&1 &
    local pid=$!
    echo "$pid" > "$STATE/$name.pid"
    wait "$pid"; local rc=$?
    [ -f "$STATE/stopping" ] && break
    if [ $(( $(date +%s) - started )) -ge 60 ]; then backoff=1; fi
    printf '\033[1;33m[%s] %s exited (status %s); restarting in %ss (log: %s)\033[0m\n' \
      "$(date +%T)" "$name" "$rc" "$backoff" "$LOGS/$name.log"
    sleep "$backoff"
    backoff=$(( backoff * 2 > 30 ? 30 : backoff * 2 ))
  done
  rm -f "$STATE/$name.pid"
}

stop_component() { # NAME GRACE_SECONDS
  local pidfile="$STATE/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $(( $2 * 10 ))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "    $1 did not stop within $2 s: killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

shutdown() {
  trap '' INT TERM
  touch "$STATE/stopping"
  step "Stopping: VMs shut down gracefully by the driver, then the driver, the operator, the control plane"
  stop_component agent-driver 90
  stop_component operator 20
  [ -n "${TAIL_PID:-}" ] && kill "$TAIL_PID" 2>/dev/null
  wait 2>/dev/null
  bash "$ROOT/scripts/cluster.sh" down
  rm -f "$STATE/stopping" "$STATE/run.pid"
  note "everything stopped; state kept in .agentvisor/ ('make clean' removes it)"
  exit 0
}
trap shutdown INT TERM
rm -f "$STATE/stopping"

SYSTEM_NS=agentvisor-system
kubectl get namespace "$SYSTEM_NS" >/dev/null 2>&1 || kubectl create namespace "$SYSTEM_NS" >/dev/null

step "Operator (log: .agentvisor/logs/operator.log)"
supervise operator java -Dquarkus.http.port="$OPERATOR_PORT" -Dagentvisor.namespace="$SYSTEM_NS" \
  -Dagentvisor.images.allowed-dirs=/var/lib/agentvisor/images -jar "$OPERATOR_JAR" &

step "Agent-driver for node '$NODE' (state: .agentvisor/nodes/$NODE, sockets: $RUN_DIR; log: .agentvisor/logs/agent-driver.log)"
mkdir -p "$STATE/nodes/$NODE"
supervise agent-driver env NODE_NAME="$NODE" AGENTVISOR_DRIVER_STATE_DIR="$STATE/nodes/$NODE" \
  AGENTVISOR_DRIVER_RUN_DIR="$RUN_DIR" AGENTVISOR_DRIVER_IMAGE_DIRS=/var/lib/agentvisor/images \
  AGENTVISOR_DRIVER_LEASE_NAMESPACE="$SYSTEM_NS" AGENTVISOR_DRIVER_HTTP_PORT="$DRIVER_PORT" \
  AGENTVISOR_DRIVER_STOP_VMS_ON_EXIT=true \
  java -jar "$DRIVER_JAR" &

step "Installing the tiny guest where the example VM expects it (/var/lib/agentvisor/images/tiny-guest)"
IMAGES=/var/lib/agentvisor/images
for f in vmlinuz initramfs.cpio.gz; do
  cmp -s "$GUEST_DIR/$f" "$IMAGES/tiny-guest/$f" 2>/dev/null || \
    { [ "$(id -u)" = 0 ] && install -D -m 0644 "$GUEST_DIR/$f" "$IMAGES/tiny-guest/$f" || \
      sudo install -D -m 0644 "$GUEST_DIR/$f" "$IMAGES/tiny-guest/$f"; }
done

step "Examples (kubectl apply -f examples/)"
kubectl apply -f "$ROOT/examples/" || note "applying the examples failed (see above)"

step "Waiting for the demo VM to boot (TCG emulation: ~15-40 s)"
for _ in $(seq 1 180); do
  [ -f "$STATE/stopping" ] && break
  # Running with an answering agent (guest facts alone may be last-known-good from a previous run)
  state=$(kubectl get vm demo -o jsonpath='{.status.phase}/{.status.agent.state}' 2>/dev/null)
  [ "$state" = "Running/Responsive" ] && break
  sleep 1
done
kubectl get vm,gap

cat <<EOF

$(printf '\033[1;32m')Agentvisor is running.$(printf '\033[0m') In another shell:

  export KUBECONFIG=$KUBECONFIG
  kubectl get vm -w                                  # phase, node, agent state, applied timeout, guest OS
  bin/agentvisor status                              # the same as a compact table
  bin/agentvisor guestinfo demo                      # what the guest agent reports
  bin/agentvisor guest-agent-timeout demo --timeout 2   # change the agent timeout live (same QEMU pid)
  kill -STOP \$(kubectl get vm demo -o jsonpath='{.status.qemu.pid}')   # freeze the guest; kill -CONT to thaw

Logs: $LOGS/. Ctrl-C here (or 'make down' elsewhere) stops everything.

EOF

# readable foreground logs: the two supervised components, prefixed
tail -n 0 -F "$LOGS/operator.log" "$LOGS/agent-driver.log" 2>/dev/null &
TAIL_PID=$!
while true; do sleep 1 & wait $!; done
