# Shared locations for the project's scripts (sourced, not run).
AGENTVISOR_CACHE="${AGENTVISOR_CACHE:-$HOME/.cache/agentvisor}"
K8S_BIN_DIR="$AGENTVISOR_CACHE/k8s/1.20.2-linux-amd64"
GUEST_DIR="$AGENTVISOR_CACHE/guest"
# bump when the guest recipe in deps.sh changes, so cached guests are rebuilt
GUEST_RECIPE="tiny-guest-v6"
export AGENTVISOR_CACHE K8S_BIN_DIR GUEST_DIR
