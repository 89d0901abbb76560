#!/usr/bin/env bash
# A real local Kubernetes 1.20.2 built by scripts/deps.sh. Used by `make cluster`, `make run` and the tests.
#
#   scripts/cluster.sh up     [DIR] [--node]   start (idempotent), write DIR/kubeconfig, apply crds/*.yaml
#   scripts/cluster.sh down   [DIR] [--purge]  stop every process it started, unmount and delete what it made;
#                                              --purge also deletes DIR (etcd data included)
#   scripts/cluster.sh status [DIR]
#   scripts/cluster.sh kill   [DIR] NAME       SIGKILL one component (a fault for tests); `up` starts it again
#   scripts/cluster.sh ctr    [DIR] ARGS...    containerd's own client on the node (k8s.io namespace)
#   scripts/cluster.sh nsexec [DIR] CMD...     run CMD inside the node's network namespace (pod/Service IPs)
#
# Without --node: etcd + kube-apiserver + kube-controller-manager on 127.0.0.1 (the API alone, for suites that
# need no pods). With --node: a whole single-node cluster inside a network namespace that this script creates:
# etcd, kube-apiserver, kube-controller-manager (all controllers), kube-scheduler, containerd + runc, the
# kubelet, kube-proxy (iptables) and CNI (bridge + host-local + portmap). The namespace holds a bridge with the
# node address and a default route onto it, so nothing leaves this machine; the host reaches the apiserver
# through a forwarder on 127.0.0.1:APISERVER_PORT. One node cluster per machine at a time.
#
# DIR defaults to .agentvisor in the repository. Ports: ETCD_PORT (12379), ETCD_PEER_PORT (12380),
# APISERVER_PORT (16443); tests pass free ones. WATCH_PID=<pid> stops the cluster when that process is gone.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib.sh"

cmd="${1:-}"; shift || true
purge=false
node=false
DIR=""
rest=()
case "$cmd" in
  ctr|nsexec|kill) if [ $# -gt 0 ] && [ -d "$1" ]; then DIR="$1"; shift; fi; rest=("$@");;
  *) for a in "$@"; do case "$a" in --purge) purge=true;; --node) node=true;; *) DIR="$a";; esac; done;;
esac
DIR="${DIR:-$ROOT/.agentvisor}"
mkdir -p "$DIR"; DIR="$(cd "$DIR" && pwd)"
ETCD_PORT="${ETCD_PORT:-12379}"
ETCD_PEER_PORT="${ETCD_PEER_PORT:-12380}"
APISERVER_PORT="${APISERVER_PORT:-16443}"
PKI="$DIR/pki"

# node-mode names: the network namespace, the node's address, containerd's sockets (short: AF_UNIX limit)
ID="$(printf '%s' "$DIR" | md5sum | cut -c1-8)"
NETNS="avnode-$ID"
NODE_NAME="agentvisor-node"
NODE_IP="10.213.0.2"
POD_SUBNET="10.214.0.0/24"
SERVICE_RANGE="10.0.0.0/24"
RUNTIME_DIR="/run/agentvisor-node/$ID"
CONTAINERD_SOCK="$RUNTIME_DIR/containerd.sock"
NODE_LOCK="/run/agentvisor-node/owner"

say() { [ -n "${QUIET:-}" ] || printf '==> %s\n' "$*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }

alive() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

# the prefix that runs a command inside the node's network namespace (empty without a node)
NS=()
ns_prefix() { NS=(); if $node || [ -f "$DIR/node.env" ]; then NS=(nsenter --net="/var/run/netns/$NETNS"); fi; }

# start NAME CMD...: runs CMD detached (own session), logs to DIR/logs/NAME.log, pid in DIR/NAME.pid
start() {
  local name="$1"; shift
  alive "$name" && return 0
  mkdir -p "$DIR/logs"
  setsid "$@" >>"$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$name.pid"
}

stop() { # NAME [GRACE_SECONDS]
  local name="$1" grace="${2:-5}"
  [ -f "$DIR/$name.pid" ] || return 0
  local pid; pid="$(cat "$DIR/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((grace * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
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

# --- certificates and credentials ------------------------------------------------------------------------------
cert() { # NAME SUBJECT [SAN]: a key and a certificate signed by the cluster CA
  local name="$1" subj="$2" san="${3:-}"
  [ -f "$PKI/$name.crt" ] && return 0
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  local ext="$PKI/$name.ext"
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=digitalSignature,keyEncipherment"
    if [ -n "$san" ]; then echo "extendedKeyUsage=serverAuth"; echo "subjectAltName=$san"
    else echo "extendedKeyUsage=clientAuth"; fi; } > "$ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 3650 \
    -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
}

token() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

pki() {
  mkdir -p "$PKI"; chmod 0700 "$PKI"
  if [ ! -f "$PKI/sa.key" ]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 3650 \
      -subj "/CN=agentvisor-local-ca" 2>/dev/null
  fi
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:$NODE_IP,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  # static tokens: the admin (system:masters) and one identity per component, each with its built-in RBAC
  if [ ! -f "$PKI/tokens.csv" ]; then
    {
      echo "$(token),agentvisor-admin,agentvisor-admin,system:masters"
      echo "$(token),system:kube-controller-manager,system:kube-controller-manager"
      echo "$(token),system:kube-scheduler,system:kube-scheduler"
      echo "$(token),system:kube-proxy,system:kube-proxy"
      echo "$(token),system:node:$NODE_NAME,system:node:$NODE_NAME,system:nodes"
    } > "$PKI/tokens.csv"
  fi
}

token_of() { awk -F, -v u="$1" '$2 == u {print $1}' "$PKI/tokens.csv"; }

kubeconfig() { # FILE USER SERVER
  local file="$1" user="$2" server="$3"
  cat > "$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: agentvisor-local
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $user
  user:
    token: $(token_of "$user")
contexts:
- name: agentvisor-local
  context:
    cluster: agentvisor-local
    user: $user
    namespace: default
current-context: agentvisor-local
EOF
  chmod 0600 "$file.tmp"; mv "$file.tmp" "$file"
}

# --- the network namespace the node lives in -------------------------------------------------------------------
netns_up() {
  mkdir -p /run/agentvisor-node
  if [ -f "$NODE_LOCK" ] && [ "$(cat "$NODE_LOCK")" != "$DIR" ] && [ -d "$(cat "$NODE_LOCK")" ] \
     && [ -f "$(cat "$NODE_LOCK")/node.env" ]; then
    die "another local node is running from $(cat "$NODE_LOCK") (one per machine): stop it with scripts/cluster.sh down $(cat "$NODE_LOCK")"
  fi
  echo "$DIR" > "$NODE_LOCK"
  if ! grep -qw "$NETNS" <<<"$(ip netns list)"; then # not a pipe: grep -q quitting early fails it under pipefail
    ip netns add "$NETNS"
  fi
  local ns=(nsenter --net="/var/run/netns/$NETNS")
  "${ns[@]}" ip link set lo up
  if ! "${ns[@]}" ip link show avnode0 >/dev/null 2>&1; then
    # no dummy link type on this kernel: a bridge carries the node address; the default route points onto it,
    # so every destination is local to this namespace
    "${ns[@]}" ip link add avnode0 type bridge
    "${ns[@]}" ip addr add "$NODE_IP/24" dev avnode0
    "${ns[@]}" ip link set avnode0 up
    "${ns[@]}" ip route add default dev avnode0
  fi
  # kube-proxy's iptables rules need forwarding and the route_localnet flag inside the namespace
  "${ns[@]}" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.route_localnet=1 >/dev/null || true
  cat > "$DIR/node.env" <<EOF
NETNS=$NETNS
NODE_NAME=$NODE_NAME
NODE_IP=$NODE_IP
CONTAINERD_SOCK=$CONTAINERD_SOCK
KUBELET_ROOT=$DIR/kubelet
EOF
}

containerd_config() {
  mkdir -p "$RUNTIME_DIR" "$DIR/containerd" "$DIR/cni/net.d"
  cat > "$DIR/containerd/config.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$RUNTIME_DIR/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$(bash "$ROOT/scripts/images.sh" ref pause)"
  restrict_oom_score_adj = true
  # a device a pod gets (the KVM plugin's /dev/kvm) belongs to the pod's user, so non-root QEMU can open it
  device_ownership_from_security_context = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni/net.d"
EOF
  cat > "$DIR/cni/net.d/10-agentvisor.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "agentvisor",
  "plugins": [
    {"type": "bridge", "bridge": "avcni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_SUBNET"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$DIR/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

kubelet_config() {
  mkdir -p "$DIR/kubelet"
  cat > "$DIR/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
containerLogMaxSize: 10Mi
containerLogMaxFiles: 3
serializeImagePulls: false
evictionHard: {memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%}
imageGCHighThresholdPercent: 100
# safe from Kubernetes 1.22 on; 1.20 needs it allowed: a VM pod forwarding a port below 1024 sets it so that
# QEMU, unprivileged, can listen there
allowedUnsafeSysctls: ["net.ipv4.ip_unprivileged_port_start"]
EOF
}

# --- up --------------------------------------------------------------------------------------------------------
control_plane_up() {
  local bind=127.0.0.1 advertise=127.0.0.1
  if $node; then bind=0.0.0.0; advertise=$NODE_IP; fi
  say "etcd (data in $DIR/etcd)"
  start etcd "${NS[@]}" etcd --name agentvisor --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "agentvisor=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
    --log-level warn
  wait_for etcd 30 "${NS[@]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$ETCD_PORT && printf 'GET /health HTTP/1.0\r\n\r\n' >&3 && grep -q true <&3"
  say "kube-apiserver on https://$advertise:$APISERVER_PORT"
  local node_flags=()
  if $node; then
    node_flags=(--kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt"
                --kubelet-client-key "$PKI/apiserver-kubelet-client.key"
                --kubelet-certificate-authority "" --kubelet-preferred-address-types InternalIP
                --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction)
  else
    node_flags=(--authorization-mode RBAC)
  fi
  start kube-apiserver "${NS[@]}" "$K8S_BIN_DIR/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address "$bind" --advertise-address "$advertise" \
    --secure-port "$APISERVER_PORT" --insecure-port 0 \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" --client-ca-file "$PKI/ca.crt" \
    --token-auth-file "$PKI/tokens.csv" "${node_flags[@]}" \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$PKI/sa.pub" \
    --service-account-signing-key-file "$PKI/sa.key" --service-cluster-ip-range "$SERVICE_RANGE" \
    --allow-privileged=true --enable-priority-and-fairness=false --profiling=false --v=0
  if $node; then
    # the host reaches the apiserver inside the namespace through 127.0.0.1 only
    start forwarder socat "TCP-LISTEN:$APISERVER_PORT,bind=127.0.0.1,fork,reuseaddr" \
      "EXEC:nsenter --net=/var/run/netns/$NETNS socat STDIO TCP\:$NODE_IP\:$APISERVER_PORT"
  fi
  kubeconfig "$DIR/kubeconfig" agentvisor-admin "https://127.0.0.1:$APISERVER_PORT"
  wait_for kube-apiserver 90 kubectl --kubeconfig "$DIR/kubeconfig" get --raw /readyz
  local inner="https://127.0.0.1:$APISERVER_PORT"
  if $node; then
    kubeconfig "$DIR/controller-manager.kubeconfig" system:kube-controller-manager "$inner"
    say "kube-controller-manager (all controllers) and kube-scheduler"
    start kube-controller-manager "${NS[@]}" "$K8S_BIN_DIR/kube-controller-manager" \
      --kubeconfig "$DIR/controller-manager.kubeconfig" --controllers '*' --use-service-account-credentials \
      --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
      --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
      --leader-elect=false --port 0 --secure-port 0 --bind-address 127.0.0.1 --v=0
    kubeconfig "$DIR/scheduler.kubeconfig" system:kube-scheduler "$inner"
    start kube-scheduler "${NS[@]}" "$K8S_BIN_DIR/kube-scheduler" --kubeconfig "$DIR/scheduler.kubeconfig" \
      --leader-elect=false --port 0 --secure-port 0 --bind-address 127.0.0.1 --v=0
  else
    # only two controllers and no per-controller service accounts (no token controller): they act as the admin
    say "kube-controller-manager (garbage collector, namespace deletion)"
    start kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
      --kubeconfig "$DIR/kubeconfig" --controllers garbagecollector,namespace \
      --leader-elect=false --port 0 --secure-port 0 --bind-address 127.0.0.1 --v=0
  fi
}

node_up() {
  say "containerd (state in $DIR/containerd, socket $CONTAINERD_SOCK)"
  bash "$ROOT/scripts/images.sh" build pause
  containerd_config
  start containerd "${NS[@]}" containerd --config "$DIR/containerd/config.toml"
  wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version
  bash "$ROOT/scripts/images.sh" load "$DIR" pause
  say "kubelet (node $NODE_NAME at $NODE_IP, root dir $DIR/kubelet)"
  kubelet_config
  kubeconfig "$DIR/kubelet.kubeconfig" "system:node:$NODE_NAME" "https://127.0.0.1:$APISERVER_PORT"
  start kubelet "${NS[@]}" "$K8S_BIN_DIR/kubelet" --config "$DIR/kubelet-config.yaml" \
    --kubeconfig "$DIR/kubelet.kubeconfig" --container-runtime remote \
    --container-runtime-endpoint "unix://$CONTAINERD_SOCK" --node-ip "$NODE_IP" --hostname-override "$NODE_NAME" \
    --root-dir "$DIR/kubelet" --cert-dir "$DIR/kubelet-pki" --v=1
  say "kube-proxy (iptables, inside the node's namespace)"
  kubeconfig "$DIR/kube-proxy.kubeconfig" system:kube-proxy "https://127.0.0.1:$APISERVER_PORT"
  start kube-proxy "${NS[@]}" "$K8S_BIN_DIR/kube-proxy" --kubeconfig "$DIR/kube-proxy.kubeconfig" \
    --proxy-mode iptables --cluster-cidr "$POD_SUBNET" --hostname-override "$NODE_NAME" \
    --bind-address "$NODE_IP" --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256 \
    --conntrack-max-per-core 0 --v=0
  wait_for "node $NODE_NAME Ready" 120 bash -c \
    "kubectl --kubeconfig '$DIR/kubeconfig' get node '$NODE_NAME' -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
  wait_for "service account 'default'" 60 kubectl --kubeconfig "$DIR/kubeconfig" get serviceaccount default -n default
}

up() {
  for b in kube-apiserver kube-controller-manager; do
    [ -x "$K8S_BIN_DIR/$b" ] || die "$K8S_BIN_DIR/$b missing: run 'make deps'"
  done
  if [ -f "$DIR/mode" ] && [ "$(cat "$DIR/mode")" = node ]; then node=true; fi
  if $node; then
    for b in kube-scheduler kubelet kube-proxy; do
      [ -x "$K8S_BIN_DIR/$b" ] || die "$K8S_BIN_DIR/$b missing: run 'make deps'"
    done
    echo node > "$DIR/mode"
    netns_up
  else
    echo api > "$DIR/mode"
  fi
  ns_prefix
  echo "$ETCD_PORT $ETCD_PEER_PORT $APISERVER_PORT" > "$DIR/ports"
  pki
  control_plane_up
  if [ -n "${WATCH_PID:-}" ]; then
    start watchdog bash -c "while kill -0 $WATCH_PID 2>/dev/null; do sleep 1; done; exec '$0' down '$DIR' $($purge && echo --purge)"
  fi
  $node && node_up
  if ls "$ROOT"/crds/*.yaml >/dev/null 2>&1; then
    say "applying CRDs from crds/"
    kubectl --kubeconfig "$DIR/kubeconfig" apply -f "$ROOT/crds/" >/dev/null
    for f in "$ROOT"/crds/*.yaml; do
      kubectl --kubeconfig "$DIR/kubeconfig" wait --for condition=established --timeout=30s -f "$f" >/dev/null
    done
  fi
  say "ready: export KUBECONFIG=$DIR/kubeconfig"
}

# --- down ------------------------------------------------------------------------------------------------------
# every process whose cgroup is under the kubelet's pods (all containers of the node, pause included)
pod_pids() { cat /sys/fs/cgroup/pids/kubepods/cgroup.procs /sys/fs/cgroup/pids/kubepods/*/cgroup.procs \
               /sys/fs/cgroup/pids/kubepods/*/*/cgroup.procs /sys/fs/cgroup/pids/kubepods/*/*/*/cgroup.procs 2>/dev/null || true; }

node_down() {
  [ -f "$DIR/node.env" ] || return 0
  stop kubelet 2
  stop kube-proxy
  # Kubernetes 1.20 keeps device plugins in this fixed directory whatever --root-dir says: remove what our kubelet
  # (its socket and checkpoint) and our driver's KVM plugin left there
  rm -f /var/lib/kubelet/device-plugins/{kubelet.sock,kubelet_internal_checkpoint,DEPRECATION,agentvisor-kvm.sock}
  rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet 2>/dev/null || true
  # the pods' network namespaces, known to containerd only: note them before the sandboxes go
  local pod_netns=""
  if [ -S "$CONTAINERD_SOCK" ]; then
    local c
    for c in $(ctr --address "$CONTAINERD_SOCK" -n k8s.io containers ls -q 2>/dev/null); do
      pod_netns+=" $(ctr --address "$CONTAINERD_SOCK" -n k8s.io containers info "$c" 2>/dev/null \
                     | grep -o '/var/run/netns/cni-[0-9a-f-]*' | head -1 || true)"
    done
  fi
  local pids; pids="$(pod_pids)"
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  for _ in $(seq 1 50); do [ -z "$(pod_pids)" ] && break; sleep 0.1; done
  stop containerd 10
  # the runtime's shims outlive containerd: they are ours when they serve our socket
  pkill -KILL -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" 2>/dev/null || true
  local ns
  for ns in $pod_netns; do umount "$ns" 2>/dev/null || true; rm -f "$ns"; done
  # every mount below our directories: container root file systems, secret tmpfs, the kubelet's bind mount
  local m
  for _ in 1 2 3; do
    for m in $(awk '{print $2}' /proc/mounts | grep -E "^($DIR|$RUNTIME_DIR)(/|$)" | sort -r); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
  done
  # the kubelet's pod cgroups (cgroupfs driver), deepest first
  local ctl
  for ctl in /sys/fs/cgroup/*/; do
    [ -d "$ctl/kubepods" ] && find "$ctl/kubepods" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

down() {
  [ -f "$DIR/ports" ] && read -r ETCD_PORT ETCD_PEER_PORT APISERVER_PORT < "$DIR/ports"
  say "stopping the local cluster in $DIR"
  # the watchdog itself runs `down` when the watched process is gone: do not kill ourselves
  if [ "$(cat "$DIR/watchdog.pid" 2>/dev/null)" = "$$" ]; then rm -f "$DIR/watchdog.pid"; else stop watchdog; fi
  node_down
  stop kube-scheduler
  stop kube-controller-manager
  stop forwarder
  stop kube-apiserver
  stop etcd
  if [ -f "$DIR/node.env" ]; then
    ip netns delete "$NETNS" 2>/dev/null || true
    rm -rf "$RUNTIME_DIR" "$DIR/node.env"
    [ "$(cat "$NODE_LOCK" 2>/dev/null)" = "$DIR" ] && rm -f "$NODE_LOCK"
    rmdir /run/agentvisor-node 2>/dev/null || true
  fi
  # --purge: the state and the launcher log a test harness keeps beside it
  if $purge; then rm -rf "$DIR" "$DIR.launcher.log"; fi
}

status() {
  local n
  for n in etcd kube-apiserver forwarder kube-controller-manager kube-scheduler containerd kubelet kube-proxy; do
    [ -f "$DIR/$n.pid" ] || continue
    if alive "$n"; then echo "$n: running (pid $(cat "$DIR/$n.pid"))"; else echo "$n: stopped"; fi
  done
  [ -f "$DIR/pid" ] || [ -n "$(ls "$DIR"/*.pid 2>/dev/null)" ] || echo "not running"
}

case "$cmd" in
  up) up;;
  down) down;;
  status) status;;
  kill) [ ${#rest[@]} -eq 1 ] && [ -f "$DIR/${rest[0]}.pid" ] || die "kill: name one running component of $DIR"
        kill -KILL "$(cat "$DIR/${rest[0]}.pid")" 2>/dev/null || true; rm -f "$DIR/${rest[0]}.pid";;
  ctr) exec ctr --address "$CONTAINERD_SOCK" -n k8s.io "${rest[@]}";;
  nsexec) exec nsenter --net="/var/run/netns/$NETNS" "${rest[@]}";;
  *) echo "usage: $0 up|down|status|kill|ctr|nsexec [DIR] [--node] [--purge]" >&2; exit 2;;
esac
