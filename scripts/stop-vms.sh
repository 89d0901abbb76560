#!/usr/bin/env bash
# Stops every VM of the local cluster gracefully before the cluster itself goes down (make down, Ctrl-C in make
# run, test teardown): the operator is scaled to 0 so it does not re-create them, then the VM pods are deleted
# and the kubelet stops each guest within its termination grace (guest agent, then ACPI, then quit). The
# VirtualMachine objects stay: the next `make run` starts them again.
#   scripts/stop-vms.sh KUBECONFIG [SYSTEM_NAMESPACE]
set -uo pipefail
export KUBECONFIG="$1"
SYSTEM_NS="${2:-agentvisor-system}"
kubectl get --raw /readyz >/dev/null 2>&1 || exit 0
kubectl -n "$SYSTEM_NS" scale deployment -l app.kubernetes.io/component=operator --replicas 0 >/dev/null 2>&1 || true
if [ -n "$(kubectl get pods -A -l app.kubernetes.io/name=agentvisor-vm -o name 2>/dev/null)" ]; then
  echo "    stopping VM pods: $(kubectl get pods -A -l app.kubernetes.io/name=agentvisor-vm -o name | tr '\n' ' ')"
  kubectl delete pods -A -l app.kubernetes.io/name=agentvisor-vm --wait=true --timeout=150s >/dev/null 2>&1 \
    || echo "    some VM pods did not stop within 150 s; the cluster teardown kills them" >&2
fi
