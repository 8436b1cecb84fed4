# monogen: two commands do everything.
#   make demo   generate the bundled example and compare it with the template and xsync
#   make test   every test: unit, golden, end-to-end, generated equivalence, -race
GO ?= go
BENCHSTAT = cd bench && $(GO) tool benchstat

.PHONY: all build test test-short vet tidy-check generate check-generated redis-server bench bench-quick fuzz demo clean

# Modules of this repository besides the root: their own go.mod, so that
# the root module needs only jennifer and x/tools. redisstore's tests start
# a private redis-server; exporters holds the Prometheus and OpenTelemetry
# exporters; examples/service is the example service scraped over HTTP.
INTEGRATIONS = redisstore exporters examples/service

all: build test

build:
	$(GO) build ./...

vet:
	@test -z "$$(gofmt -l cmd internal templates generated examples bench $(INTEGRATIONS))" || { gofmt -l cmd internal templates generated examples bench $(INTEGRATIONS); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...
	cd bench && $(GO) vet ./...
	@for m in $(INTEGRATIONS); do (cd $$m && $(GO) vet ./...) || exit 1; done

# go.mod and go.sum of every module of the repository are what go mod tidy
# would write: direct dependencies are not marked indirect, nothing is missing.
tidy-check:
	@for m in $$(find . -name go.mod -not -path './.git/*' -exec dirname {} \; | sort); do \
		(cd $$m && $(GO) mod tidy -diff) || { echo "go.mod of $$m is not tidy: run go mod tidy there"; exit 1; }; \
	done

# Regenerate the committed output of the tool run on itself and on the example.
generate:
	$(GO) run ./cmd/monogen -v ./generated ./examples/...
	$(GO) build -o bin/monogen ./cmd/monogen
	@for m in $(INTEGRATIONS); do (cd $$m && $(CURDIR)/bin/monogen -v ./...) || exit 1; done

# Fail when a committed generated file is stale.
check-generated:
	$(GO) run ./cmd/monogen -check ./generated ./examples/...
	$(GO) build -o bin/monogen ./cmd/monogen
	@for m in $(INTEGRATIONS); do (cd $$m && $(CURDIR)/bin/monogen -check ./...) || exit 1; done

# redisstore's tests run a private redis-server (Debian's package).
redis-server:
	@command -v redis-server >/dev/null || { \
		echo 'redis-server is missing: installing the Debian package redis-server (its tests start a private server)'; \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -q redis-server >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null; }; \
		else sudo apt-get install -y -q redis-server >/dev/null; fi; \
		command -v redis-server >/dev/null || { echo 'could not install redis-server: run apt-get install redis-server as root, then make test'; exit 1; }; }

# Everything, with the race detector. The bench module's tests check that
# every implementation compared there computes the same results.
test: vet tidy-check check-generated redis-server
	$(GO) test -race -count=1 ./...
	cd bench && $(GO) test -race -count=1 ./...
	@for m in $(INTEGRATIONS); do (cd $$m && $(GO) test -race -count=1 ./...) || exit 1; done

# Quick feedback: no race detector, no end-to-end module builds.
test-short:
	$(GO) test -short -count=1 ./...

# Full benchmark suite: BENCHMARKS.md and charts under docs/bench/, every
# procs and size case, -count 6 at 500ms: about 40 minutes on 2 cores.
# BENCHFLAGS go to the report: make bench BENCHFLAGS='-out /tmp/b' writes
# there instead of over the committed files.
bench:
	cd bench && $(GO) run ./report $(BENCHFLAGS)

# The same in under three minutes, for day-to-day work: -count 3 at 50ms,
# without procs>=8 and size>=100000.
bench-quick:
	cd bench && $(GO) run ./report -quick $(BENCHFLAGS)

fuzz:
	$(GO) test ./internal/directive -run '^$$' -fuzz FuzzParse -fuzztime 20s -fuzzminimizetime 2s

# The main job on the bundled example: generate, show what was written, and
# compare the generated maps with the generic template and with xsync.
demo:
	@echo '== go run ./cmd/monogen -v ./examples/sessions'
	@$(GO) run ./cmd/monogen -v ./examples/sessions
	@echo
	@echo '== what examples/sessions/sessions_monogen.go declares'
	@grep -E '^func (New|\(m \*(Store|Hits)\) [A-Z])' examples/sessions/sessions_monogen.go | sed 's/ {$$//'
	@echo
	@echo '== generated vs template vs xsync on the example types (ns/op, lower is better; machine noise applies)'
	@cd bench && $(GO) test -run '^$$' -bench BenchmarkDemo -benchtime=100ms -count=6 ./demo > $${TMPDIR:-/tmp}/monogen-demo.txt
	@$(BENCHSTAT) -col /impl $${TMPDIR:-/tmp}/monogen-demo.txt | awk 'NF == 0 { done = 1 } !done { print }'

clean:
	rm -rf bin bench/out
