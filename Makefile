# inkasso-operator: kubebuilder go/v4 target names, tools built from source by hack/.

IMG ?= ghcr.io/inkasso-operator/inkasso-operator:latest
BIN := $(CURDIR)/bin
KUBECTL := $(BIN)/kubectl
CONTROLLER_GEN := $(BIN)/controller-gen
# envtest and `make run` use the source-built kube-apiserver, etcd and kubectl here.
export KUBEBUILDER_ASSETS := $(BIN)/k8s
GO_TEST_FLAGS ?= -count=1 -timeout 60m

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-16s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRDs and RBAC from the kubebuilder markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./api/...;./controllers/...;./pkg/..." output:crd:artifacts:config=config/crd/bases
	cp config/crd/bases/*.yaml charts/inkasso-operator/crds/
	cp config/rbac/role.yaml charts/inkasso-operator/files/manager-role.yaml
	cp config/prometheus/prometheusrule.yaml charts/inkasso-operator/files/prometheusrule.yaml
	go run ./hack/apidocs > docs/api.md

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object paths="./api/..."

.PHONY: fmt
fmt: ## go fmt.
	go fmt ./...

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: test
test: manifests generate fmt vet control-plane-tools ## Unit, integration (envtest) and e2e tests on a source-built control plane.
	go test $(GO_TEST_FLAGS) ./...
	cd examples/dialer && go vet ./... && go test $(GO_TEST_FLAGS) ./...
	cd bench && go vet ./... && go test $(GO_TEST_FLAGS) ./...

.PHONY: test-reliability
test-reliability: manifests generate control-plane-tools ## Long reliability runs (SIGKILL, failover, apiserver restart, failing provider), three in a row.
	INKASSO_RELIABILITY=long go test -count=3 -timeout 240m -v ./test/reliability/

BENCH_FLAGS ?=
# BENCH_PRESET=100k: 100,000 claims on one manager under the chart's default
# memory limit, every claim through its first step (issue 23); about an hour
# and a machine to itself. BENCH_PRESET=100k-full walks the whole policy,
# with the fair baseline and the load runs: 9 to 12 hours.
# docs/performance.md says what each runs.
BENCH_PRESET ?=
BENCH_100K_FLAGS = -claims 100000 -debtors 40000 -scale 200 -concurrency 16 -until-steps 1 -no-replay -memory-limit 3Gi -control-plane-gogc 100 -control-plane-memlimit 9GiB -stall 15m -timeout 3h
BENCH_100K_FULL_FLAGS = -claims 100000 -debtors 40000 -replay-writes 20000 -load 0.25,0.5,0.8 -memory-limit 3Gi -control-plane-memlimit 10GiB -timeout 16h
# BENCH_PRESET=unsaturated: a run the manager keeps up with, so the law
# asks the same notices whatever the engine (docs/performance.md, "Like
# for like"); about 6 minutes.
BENCH_UNSATURATED_FLAGS = -claims 300 -debtors 120 -scale 20000 -no-replay -stall 15m -patch-fields
ifeq ($(BENCH_PRESET),100k)
override BENCH_FLAGS := $(BENCH_100K_FLAGS) $(BENCH_FLAGS)
endif
ifeq ($(BENCH_PRESET),100k-full)
override BENCH_FLAGS := $(BENCH_100K_FULL_FLAGS) $(BENCH_FLAGS)
endif
ifeq ($(BENCH_PRESET),unsaturated)
override BENCH_FLAGS := $(BENCH_UNSATURATED_FLAGS) $(BENCH_FLAGS)
endif
.PHONY: bench
bench: manifests control-plane-tools ## Benchmark at scale (default 5,000 claims over 2,000 debtors); results in bench/results.
	cd bench && go run . $(BENCH_FLAGS)

SIM_FLAGS ?=
.PHONY: simulate
simulate: ## National-scale simulation without a control plane: the decider and a PostgreSQL archive over a year of claims (docs/scale.md; SIM_FLAGS="-per-day 27000" for full volume).
	go run ./hack/simulate $(SIM_FLAGS)

.PHONY: test-unit
test-unit: ## Only the pure unit tests (no control plane).
	go test $(GO_TEST_FLAGS) ./internal/... ./pkg/... ./api/...

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager and the kubectl-inkasso plugin.
	go build -o $(BIN)/manager ./cmd/manager
	go build -o $(BIN)/kubectl-inkasso ./cmd/kubectl-inkasso

ARCHIVE ?= 0
.PHONY: run
run: manifests generate run-tools ## Local control plane + samples + manager on an accelerated clock (ARCHIVE=1: with a PostgreSQL claim archive).
	ARCHIVE=$(ARCHIVE) hack/run.sh

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

##@ Deployment

.PHONY: install
install: manifests kubectl ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUBECTL) apply --server-side -f config/crd/bases

.PHONY: uninstall
uninstall: manifests kubectl ## Remove the CRDs (and every claim!) from the cluster.
	$(KUBECTL) delete --ignore-not-found -f config/crd/bases

.PHONY: deploy
deploy: manifests kubectl ## Deploy the operator (config/default, image $(IMG)) to the cluster of the current kubeconfig.
	$(KUBECTL) kustomize config/default | sed 's|image: controller:latest|image: $(IMG)|' | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: kubectl ## Remove the operator deployed by make deploy.
	$(KUBECTL) delete --ignore-not-found -k config/default

##@ Tools (built from source once per version, cached in ~/.cache/inkasso-operator/tools)

.PHONY: controller-gen kubectl control-plane-tools run-tools
controller-gen:
	@hack/tool.sh controller-gen
kubectl:
	@hack/tool.sh kubectl
control-plane-tools: ## kube-apiserver, etcd, kubectl and helm for envtest, the e2e and chart tests, bench and test-reliability.
	@hack/tool.sh kube-apiserver etcd kubectl helm
run-tools: ## kube-apiserver, etcd and kubectl only: what make run needs (no helm).
	@hack/tool.sh kube-apiserver etcd kubectl
