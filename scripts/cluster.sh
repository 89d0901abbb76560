#!/usr/bin/env bash
# A real local Kubernetes control plane: Debian's etcd + kube-apiserver/kube-controller-manager 1.20.2 built by
# scripts/deps.sh, all bound to 127.0.0.1. Used by `make cluster` and by the integration tests.
#
#   scripts/cluster.sh up   [DIR]   start (idempotent), write DIR/kubeconfig, apply crds/*.yaml
#   scripts/cluster.sh down [DIR]   stop every process it started; --purge also deletes DIR (etcd data included)
#   scripts/cluster.sh status [DIR]
#
# DIR defaults to .agentvisor in the repository. Ports: ETCD_PORT (default 12379), ETCD_PEER_PORT (12380),
# APISERVER_PORT (16443); tests pass free ones. WATCH_PID=<pid> stops the cluster when that process is gone
# (tests pass their JVM's pid so a killed test run leaves nothing behind).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib.sh"

cmd="${1:-}"; shift || true
purge=false
DIR=""
for a in "$@"; do case "$a" in --purge) purge=true;; *) DIR="$a";; esac; done
DIR="${DIR:-$ROOT/.agentvisor}"
mkdir -p "$DIR"; DIR="$(cd "$DIR" && pwd)"
ETCD_PORT="${ETCD_PORT:-12379}"
ETCD_PEER_PORT="${ETCD_PEER_PORT:-12380}"
APISERVER_PORT="${APISERVER_PORT:-16443}"
TOKEN_FILE="$DIR/pki/token"

say() { [ -n "${QUIET:-}" ] || printf '==> %s\n' "$*" >&2; }

alive() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

# start NAME CMD...: runs CMD detached (own session), logs to DIR/logs/NAME.log, pid in DIR/NAME.pid
start() {
  local name="$1"; shift
  alive "$name" && return 0
  mkdir -p "$DIR/logs"
  setsid "$@" >>"$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$name.pid"
}

stop() {
  local name="$1"
  [ -f "$DIR/$name.pid" ] || return 0
  local pid; pid="$(cat "$DIR/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/$name.pid"
}

wait_for() { # DESCRIPTION SECONDS CMD...
  local what="$1" secs="$2"; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "cluster: $what did not come up within ${secs}s; logs in $DIR/logs" >&2
  tail -20 "$DIR/logs/"*.log >&2 || true
  return 1
}

pki() {
  [ -f "$DIR/pki/sa.key" ] && return 0
  mkdir -p "$DIR/pki"; chmod 0700 "$DIR/pki"
  openssl genrsa -out "$DIR/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$DIR/pki/sa.key" -pubout -out "$DIR/pki/sa.pub" 2>/dev/null
  # one static admin token (system:masters): a local, loopback-only control plane
  local token; token="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  echo "$token" > "$TOKEN_FILE"
  echo "$token,agentvisor-admin,agentvisor-admin,system:masters" > "$DIR/pki/tokens.csv"
}

kubeconfig() {
  cat > "$DIR/kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: agentvisor-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    insecure-skip-tls-verify: true
users:
- name: agentvisor-admin
  user:
    token: $(cat "$TOKEN_FILE")
contexts:
- name: agentvisor-local
  context:
    cluster: agentvisor-local
    user: agentvisor-admin
    namespace: default
current-context: agentvisor-local
EOF
  chmod 0600 "$DIR/kubeconfig.tmp"; mv "$DIR/kubeconfig.tmp" "$DIR/kubeconfig"
}

up() {
  [ -x "$K8S_BIN_DIR/kube-apiserver" ] || { echo "cluster: $K8S_BIN_DIR/kube-apiserver missing: run 'make deps'" >&2; exit 1; }
  echo "$ETCD_PORT $ETCD_PEER_PORT $APISERVER_PORT" > "$DIR/ports"
  pki
  say "etcd on 127.0.0.1:$ETCD_PORT (data in $DIR/etcd)"
  start etcd etcd --name agentvisor --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "agentvisor=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
    --log-level warn
  wait_for etcd 30 etcdctl_health
  say "kube-apiserver on https://127.0.0.1:$APISERVER_PORT"
  start kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "$APISERVER_PORT" --insecure-port 0 --cert-dir "$DIR/pki/serving" \
    --token-auth-file "$DIR/pki/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$DIR/pki/sa.pub" \
    --service-account-signing-key-file "$DIR/pki/sa.key" --service-cluster-ip-range 10.0.0.0/24 \
    --allow-privileged=true --enable-priority-and-fairness=false --profiling=false --v=0
  kubeconfig
  wait_for kube-apiserver 90 kubectl_ready
  say "kube-controller-manager (garbage collector, namespace deletion)"
  start kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" --kubeconfig "$DIR/kubeconfig" \
    --controllers garbagecollector,namespace --leader-elect=false --port 0 --secure-port 0 \
    --bind-address 127.0.0.1 --v=0
  if [ -n "${WATCH_PID:-}" ]; then
    start watchdog bash -c "while kill -0 $WATCH_PID 2>/dev/null; do sleep 1; done; exec '$0' down '$DIR' $($purge && echo --purge)"
  fi
  if ls "$ROOT"/crds/*.yaml >/dev/null 2>&1; then
    say "applying CRDs from crds/"
    kubectl --kubeconfig "$DIR/kubeconfig" apply -f "$ROOT/crds/" >/dev/null
    for f in "$ROOT"/crds/*.yaml; do
      kubectl --kubeconfig "$DIR/kubeconfig" wait --for condition=established --timeout=30s -f "$f" >/dev/null
    done
  fi
  say "ready: export KUBECONFIG=$DIR/kubeconfig"
}

etcdctl_health() { exec 3<>"/dev/tcp/127.0.0.1/$ETCD_PORT" && printf 'GET /health HTTP/1.0\r\n\r\n' >&3 && grep -q true <&3; }
kubectl_ready() { kubectl --kubeconfig "$DIR/kubeconfig" get --raw /readyz; }

down() {
  [ -f "$DIR/ports" ] && read -r ETCD_PORT ETCD_PEER_PORT APISERVER_PORT < "$DIR/ports"
  say "stopping the local control plane in $DIR"
  # the watchdog itself runs `down` when the watched process is gone: do not kill ourselves
  if [ "$(cat "$DIR/watchdog.pid" 2>/dev/null)" = "$$" ]; then rm -f "$DIR/watchdog.pid"; else stop watchdog; fi
  stop kube-controller-manager
  stop kube-apiserver
  stop etcd
  if $purge; then rm -rf "$DIR"; fi
}

status() {
  for n in etcd kube-apiserver kube-controller-manager; do
    if alive "$n"; then echo "$n: running (pid $(cat "$DIR/$n.pid"))"; else echo "$n: stopped"; fi
  done
}

case "$cmd" in
  up) up;;
  down) down;;
  status) status;;
  *) echo "usage: $0 up|down|status [DIR] [--purge]" >&2; exit 2;;
esac
