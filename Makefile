# Agentvisor: see README.md. Every target is idempotent.
SHELL := /bin/bash
MVN := ./mvnw -B
KUBECONFIG_LOCAL := $(CURDIR)/.agentvisor/kubeconfig

.PHONY: help run down deps build images test cluster cluster-down cluster-status crds bench clean

help:
	@echo "make run           local Kubernetes node + Agentvisor installed by its Helm chart + example VM (foreground)"
	@echo "make down          stop what make run started (VMs gracefully, then the cluster) and the CLI daemons"
	@echo "make test          install what is missing, then run the whole suite"
	@echo "make deps          Debian packages, Kubernetes 1.20.2 binaries, tiny guest (cached in ~/.cache/agentvisor)"
	@echo "make build         compile everything (no tests); bin/agentvisor and bin/helm work afterwards"
	@echo "make images        the operator, agent-driver and vm-launcher images (OCI archives in ~/.cache/agentvisor/images)"
	@echo "make cluster       start the local single-node Kubernetes in the background (.agentvisor/kubeconfig)"
	@echo "make cluster-down  stop it (state kept in .agentvisor/; 'make clean' removes it)"
	@echo "make crds          regenerate crds/*.yaml from the API types"
	@echo "make bench         benchmarks (never part of make test)"

run:
	@bash scripts/run.sh

down:
	@if [ -f .agentvisor/run.pid ] && kill -0 $$(cat .agentvisor/run.pid) 2>/dev/null; then \
	  pid=$$(cat .agentvisor/run.pid); echo "stopping make run (pid $$pid)"; kill -TERM $$pid; \
	  while kill -0 $$pid 2>/dev/null; do sleep 0.5; done; echo "stopped"; \
	else echo "make run is not running"; bash scripts/stop-vms.sh $(KUBECONFIG_LOCAL); bash scripts/cluster.sh down; fi
	@if [ -f cli/target/agentvisor-cli.jar ]; then bin/agentvisor daemon stop; fi

deps:
	@bash scripts/deps.sh all

build:
	$(MVN) -q package -DskipTests
	@echo "built: bin/agentvisor, bin/helm, operator/target, agent-driver/target, vm-launcher/target"

images: deps build
	@bash scripts/images.sh build
	@for n in operator agent-driver vm-launcher; do echo "$$n: $$(bash scripts/images.sh ref $$n)"; done

test: deps
	$(MVN) verify

cluster: deps
	@bash scripts/cluster.sh up --node
	@echo "export KUBECONFIG=$(KUBECONFIG_LOCAL)"

cluster-down:
	@bash scripts/cluster.sh down

cluster-status:
	@bash scripts/cluster.sh status

crds:
	@bash crds/update.sh

bench: deps build
	@bash bench/run.sh

clean: cluster-down
	rm -rf .agentvisor
	$(MVN) -q clean
