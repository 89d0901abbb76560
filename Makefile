# Agentvisor: see README.md. Every target is idempotent.
SHELL := /bin/bash
MVN := ./mvnw -B
KUBECONFIG_LOCAL := $(CURDIR)/.agentvisor/kubeconfig

.PHONY: help run down deps build test cluster cluster-down cluster-status crds bench clean

help:
	@echo "make run           local cluster + operator + driver + example VM (foreground; Ctrl-C stops it)"
	@echo "make test          install what is missing, then run the whole suite"
	@echo "make deps          Debian packages, kube-apiserver 1.20.2 build, tiny guest (cached in ~/.cache/agentvisor)"
	@echo "make build         compile everything (no tests); bin/agentvisor works afterwards"
	@echo "make cluster       start a local etcd + kube-apiserver in the background (.agentvisor/kubeconfig)"
	@echo "make cluster-down  stop it (state kept in .agentvisor/; 'make clean' removes it)"
	@echo "make crds          regenerate crds/*.yaml from the API types"
	@echo "make bench         benchmarks (never part of make test)"

run:
	@bash scripts/run.sh

down:
	@if [ -f .agentvisor/run.pid ] && kill -0 $$(cat .agentvisor/run.pid) 2>/dev/null; then \
	  pid=$$(cat .agentvisor/run.pid); echo "stopping make run (pid $$pid)"; kill -TERM $$pid; \
	  while kill -0 $$pid 2>/dev/null; do sleep 0.5; done; echo "stopped"; \
	else echo "make run is not running"; bash scripts/cluster.sh down; fi

deps:
	@bash scripts/deps.sh all

build:
	$(MVN) -q install -DskipTests
	@echo "built: bin/agentvisor, operator/target, agent-driver/target"

test: deps
	$(MVN) verify

cluster: deps
	@bash scripts/cluster.sh up
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
