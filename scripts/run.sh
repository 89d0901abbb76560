#!/usr/bin/env bash
# `make run`: the way a user runs Agentvisor, on this machine. A real single-node Kubernetes (scripts/cluster.sh
# --node), Agentvisor's images built here and loaded into the node (scripts/images.sh), the Helm chart installed
# with `helm upgrade --install` (bin/helm), then the example VM with the project's tiny guest. It stays in the
# foreground following the operator's and driver's logs (`kubectl logs`); Ctrl-C or `make down` stops the VMs
# gracefully and then the whole cluster. State (etcd, images) stays in .agentvisor/ and the cache.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib.sh"
STATE="$ROOT/.agentvisor"
export KUBECONFIG="$STATE/kubeconfig"
RELEASE=agentvisor
SYSTEM_NS=agentvisor-system
# where the chart's default imageDirs says shared boot files live on a node; the example VM boots from here
IMAGES=/var/lib/agentvisor-images
WAIT_SECONDS="${WAIT_SECONDS:-240}"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
fail() { printf '\033[1;31m%s\033[0m\n' "$*" >&2; }

mkdir -p "$STATE"
if [ -f "$STATE/run.pid" ] && kill -0 "$(cat "$STATE/run.pid")" 2>/dev/null; then
  echo "make run is already running (pid $(cat "$STATE/run.pid")); 'make down' stops it" >&2
  exit 1
fi
echo $$ > "$STATE/run.pid"

shutdown() {
  trap '' INT TERM
  [ -n "${LOGS_PID:-}" ] && kill "$LOGS_PID" 2>/dev/null
  step "Stopping: the VMs' guests shut down gracefully, then the cluster"
  bash "$ROOT/scripts/stop-vms.sh" "$KUBECONFIG" "$SYSTEM_NS" || true
  bash "$ROOT/scripts/cluster.sh" down
  rm -f "$STATE/run.pid"
  note "everything stopped; state kept in .agentvisor/ ('make clean' removes it)"
  exit "${1:-0}"
}
trap 'shutdown 0' INT TERM

step "Dependencies (Debian packages, Kubernetes 1.20.2 binaries, tiny guest; cached in $AGENTVISOR_CACHE)"
bash "$ROOT/scripts/deps.sh" all || { rm -f "$STATE/run.pid"; exit 1; }

step "Building Agentvisor (Maven, no tests)"
(cd "$ROOT" && ./mvnw -B -q package -DskipTests) || { fail "build failed"; rm -f "$STATE/run.pid"; exit 1; }

step "Local Kubernetes node (control plane, containerd, kubelet, kube-proxy; state in .agentvisor/)"
bash "$ROOT/scripts/cluster.sh" up --node || shutdown 1

step "Images (Debian packages + our jars, no daemon, no registry) loaded into the node"
bash "$ROOT/scripts/images.sh" load "$STATE" || shutdown 1

step "helm upgrade --install $RELEASE helm/agentvisor -n $SYSTEM_NS"
# the chart's defaults plus what a one-node local cluster needs: the images just built (no registry), and the
# kubelet's root directory of this local node (it lives under .agentvisor/, not /var/lib/kubelet)
HELM_SETS=($(bash "$ROOT/scripts/images.sh" helm-values)
           --set "agentDriver.kubeletRootDir=$STATE/kubelet")
note "bin/helm upgrade --install $RELEASE helm/agentvisor -n $SYSTEM_NS --create-namespace --wait ${HELM_SETS[*]}"
"$ROOT/bin/helm" upgrade --install "$RELEASE" "$ROOT/helm/agentvisor" -n "$SYSTEM_NS" --create-namespace \
  --wait --timeout 300s "${HELM_SETS[@]}" || {
  fail "helm install did not become ready; the pods say:"
  kubectl -n "$SYSTEM_NS" get pods -o wide
  kubectl -n "$SYSTEM_NS" describe pods | tail -40
  shutdown 1
}
kubectl -n "$SYSTEM_NS" get pods -o wide

step "The tiny guest as a shared boot image on the node ($IMAGES/tiny-guest, read-only for VMs)"
for f in vmlinuz initramfs.cpio.gz; do
  cmp -s "$GUEST_DIR/$f" "$IMAGES/tiny-guest/$f" 2>/dev/null || install -D -m 0644 "$GUEST_DIR/$f" "$IMAGES/tiny-guest/$f"
done

step "Examples (kubectl apply -f examples/)"
kubectl apply -f "$ROOT/examples/" || fail "applying the examples failed (see above)"

step "Waiting for the demo VM: Running with an answering guest agent (TCG emulation: ~15-60 s)"
ok=false
for _ in $(seq 1 "$WAIT_SECONDS"); do
  state=$(kubectl get vm demo -o jsonpath='{.status.phase}/{.status.agent.state}/{.status.guest.hostname}' 2>/dev/null)
  case "$state" in Running/Responsive/?*) ok=true; break;; esac
  sleep 1
done
kubectl get vm,gap -o wide
if ! $ok; then
  fail "The demo VM is NOT running with a responsive guest agent after ${WAIT_SECONDS}s. What it says:"
  kubectl get vm demo -o jsonpath='{range .status.conditions[*]}    {.type}={.status} {.reason}: {.message}{"\n"}{end}' 2>/dev/null
  cat <<EOF
    Look at:
      kubectl describe vm demo                      # conditions and events
      kubectl get pods -l agentvisor.io/vm=demo -o wide; kubectl logs -l agentvisor.io/vm=demo   # its pod, serial console
      kubectl -n $SYSTEM_NS logs ds/agentvisor-agent-driver        # the node driver
      kubectl -n $SYSTEM_NS logs deploy/agentvisor-operator        # the operator
    The cluster stays up for that; Ctrl-C stops it.
EOF
else
  printf '\n\033[1;32mAgentvisor is running\033[0m: installed by Helm, the demo VM runs in its own pod.\n'
fi

cat <<EOF

In another shell:

  export KUBECONFIG=$KUBECONFIG
  kubectl get vm -o wide -w                          # phase, node, agent state, applied timeout, guest OS
  kubectl get pods -o wide                           # each VM is a pod (vm-<name>), placed by kube-scheduler
  kubectl logs vm-demo                               # the guest's serial console
  bin/agentvisor status                              # the same as a compact table
  bin/agentvisor guestinfo demo                      # what the guest agent reports
  bin/agentvisor guest-agent-timeout demo --timeout 2   # change the agent timeout live (same QEMU, same pod)
  kubectl -n $SYSTEM_NS logs ds/agentvisor-agent-driver -f
  bin/helm list -n $SYSTEM_NS

Ctrl-C here (or 'make down' elsewhere) stops the VMs gracefully, then the cluster.

EOF

# the components' logs, as any cluster user reads them
( kubectl -n "$SYSTEM_NS" logs -f --prefix --max-log-requests 10 -l app.kubernetes.io/instance="$RELEASE" --tail 0 2>/dev/null \
  || true ) &
LOGS_PID=$!
while true; do sleep 1 & wait $!; done
