# Astrolift — run `make help` for the targets.
SHELL := bash
.DEFAULT_GOAL := help

GO        ?= go
BIN       := $(CURDIR)/bin
K8S_BINS  := $(BIN)/k8s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   = -X main.version=$(VERSION)

export KUBEBUILDER_ASSETS := $(K8S_BINS)

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

UI_SRC := $(shell find ui/src ui/index.html ui/vite.config.ts ui/tsconfig.json -type f 2>/dev/null)

.PHONY: build
build: ui ## Build bin/astrolift (the dashboard included)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/astrolift ./cmd/astrolift

.PHONY: run
run: build k8s-bins ## Run Astrolift locally (astrolift dev: SQLite + local control plane in ./data)
	$(BIN)/astrolift dev

.PHONY: ui
ui: ui/dist/index.html ## Build the dashboard (npm ci + vite build into ui/dist, embedded by go build)

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

ui/dist/index.html: ui/node_modules/.package-lock.json $(UI_SRC)
	cd ui && npm run build

.PHONY: ui-types
ui-types: ui/node_modules/.package-lock.json ## Regenerate the dashboard's API types from the route table (ui/src/api)
	$(GO) test ./ui -run TestOpenAPICopyIsCurrent -count=1 -update
	cd ui && npm run api-types

.PHONY: ui-dev
ui-dev: ui/node_modules/.package-lock.json ## Vite dev server with hot reload (run astrolift with --ui-dev-url http://127.0.0.1:5173)
	cd ui && npm run dev

.PHONY: chromium
chromium: # Debian's Chromium for the dashboard's end-to-end tests (and screenshots)
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

.PHONY: k8s-bins
k8s-bins: ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok into bin/k8s
	@hack/k8s-bins.sh $(K8S_BINS)

.PHONY: gitea
gitea: ## Build the Gitea server (pinned in hack/tools/gitea) into bin/gitea for the SCM tests
	@TOOL_TAGS="sqlite sqlite_unlock_notify" TOOL_CGO=1 hack/build-tool.sh $(BIN) gitea gitea code.gitea.io/gitea \
		"$$(cd hack/tools/gitea && $(GO) list -m -f '{{.Version}}' code.gitea.io/gitea)" \
		"-X main.Version=$$(cd hack/tools/gitea && $(GO) list -m -f '{{.Version}}' code.gitea.io/gitea | sed 's/^v//')"

.PHONY: test
test: k8s-bins gitea ui chromium ## Run every test: the dashboard's unit tests (Vitest), then Go with -race (the browser journey included)
	cd ui && npm run typecheck && npx vitest run
	set -o pipefail; $(GO) test -race -count=1 -timeout 20m -v ./... 2>&1 | hack/test-summary.sh

.PHONY: bench
bench: ## Run the Go benchmarks on one core (render: BenchmarkRender target >= 5,000 renders/s)
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 -count 5 ./...

.PHONY: load
load: build k8s-bins ## Load run: fresh astrolift dev, 1,000 apps, 30 s on the app list and overview (p50/p99)
	hack/load.sh

.PHONY: lint
lint: golangci-lint ## gofmt check, go vet, golangci-lint
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [[ -n "$$out" ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(BIN)/golangci-lint run ./...

.PHONY: golangci-lint
golangci-lint: # Build bin/golangci-lint at the version pinned in hack/tools/golangci-lint
	@hack/build-tool.sh $(BIN) golangci-lint golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint \
		"$$(cd hack/tools/golangci-lint && $(GO) list -m -f '{{.Version}}' github.com/golangci/golangci-lint/v2)"

.PHONY: clean
clean: ## Remove built binaries (keeps ./data and the tools cache)
	rm -rf $(BIN)
