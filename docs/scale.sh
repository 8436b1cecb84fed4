#!/bin/sh
# scale.sh measures the CPU monogen spends generating one package with 50 map
# directives of varied key and value types, with a prebuilt binary (issue 12:
# "at least 2x less CPU than today").
#
#	docs/scale.sh [BASE_REV] [RUNS]
#
# It builds monogen from the work tree and from BASE_REV (default 806a28d, the
# tree before the work of issue 12) into a temporary directory, writes the
# same scratch module twice (one copy per binary, so that each run
# regenerates over its own output), and times the binaries alternately, RUNS
# runs each (default 5) after warm-up runs, in two scenarios: "same", the
# package unchanged since the last run, and "edit", a comment appended to it
# before each run, as when a user edits the package and runs go generate
# again. It prints user and sys CPU seconds, wall seconds and peak RSS of
# every run (GNU time, children included: the go list that go/packages runs
# is part of the cost), then the median CPU (user+sys) of each binary and the
# ratio base/new, per scenario.
#
# 5 December 2026, 02:10 UTC, 2 cores shared with other jobs (load average
# 4 to 6), 9 runs: "same" base 1.25 s, new 0.66 s of CPU, 1.89x less;
# "edit" base 6.15 s, new 0.70 s, 8.79x less (at a load of 14: 1.89x and
# 9.31x). The same package timed as whole processes, 16 runs of each in
# turn at a load of 3 to 4: base 1.38 s, new 0.67 s, 2.07x less (median of
# the pairs' ratios; 1.78x to 2.18x); against 6710f28 (the main branch
# before the template kept its plans, see docs/stencil.md) 0.86 of its CPU
# (0.82 to 0.89). Of the new figure, some 0.2 s is the three go list that
# go/packages runs; of the rest, stenciling is about a third, formatting
# (parse and print) 30% and the type check of the output 20%, each in
# proportion to the output.
#
# 4 December 2026, 2 cores shared with other jobs (load average 15 to 21), 7
# runs: "same" base 1.63 s, new 1.01 s of CPU, 1.61x less; "edit" base
# 8.59 s, new 1.25 s, 6.87x less. A package that imports context and time,
# already generated, cost main (25ca9d3) 2.07 s against 1.04 s then: the
# overlay of earlier output, given to go/packages, made it type-check every
# import from source (see load.overlayFlag).
set -eu
base=${1:-806a28d}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
cleanup() {
	git -C "$root" worktree remove --force "$tmp/base-src" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$root" && nice -n 15 go build -o "$tmp/monogen-new" ./cmd/monogen)
git -C "$root" worktree add --detach "$tmp/base-src" "$base" >/dev/null 2>&1
(cd "$tmp/base-src" && nice -n 15 go build -o "$tmp/monogen-base" ./cmd/monogen)

# mkmod writes the scratch module: 50 maps, 15 key types by 10 value types
# taken in turn (integer, string, float, bool, pointer, struct and array
# keys; scalar, pointer, slice, map, struct and channel values).
mkmod() {
	mkdir -p "$1"
	printf 'module example.com/scale\n\ngo 1.25\n' >"$1/go.mod"
	cat >"$1/scale.go" <<'GO'
package scale

// The maps' own key and value types.
type (
	ID    int64
	Name  string
	User  struct {
		Name string
		Age  int
	}
	Key   struct{ A, B int64 }
	Pair  struct {
		S string
		N int32
	}
	Small struct {
		X uint16
		Y bool
	}
)

GO
	awk 'BEGIN {
		nk = split("int|int64|uint32|uint8|string|ID|Name|float64|bool|*User|Key|Pair|[16]byte|[4]int32|Small", k, "|")
		nv = split("int|string|*User|[]byte|User|map[string]int|Key|float64|struct{ A, B int }|chan int", v, "|")
		for (i = 0; i < 50; i++)
			printf "//monogen:map Map%d[%s, %s]\n", i, k[i % nk + 1], v[i % nv + 1]
		print "var _ = 0"
	}' >>"$1/scale.go"
}
mkmod "$tmp/mod-base"
mkmod "$tmp/mod-new"

# run BIN DIR appends "user sys wall maxrss_kb" of one generation to DIR.times.
run() {
	(cd "$2" && /usr/bin/time -f '%U %S %e %M' -a -o "$2.times" "$1" . >/dev/null)
}
median() { awk '{ print $1 + $2 }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# measure SCENARIO: warm-up runs of each binary, then RUNS runs of each,
# alternately. In the scenario "edit" a comment is appended to the package
# before each run, as when a user edits it and runs go generate again: go
# list (inside monogen's packages.Load) then compiles the package anew,
# with the previous output. In "same" nothing changes between runs.
measure() {
	# Two warm-up runs: the first writes the output, the second compiles
	# the package with it into the build cache.
	for b in base new; do
		run "$tmp/monogen-$b" "$tmp/mod-$b"
		run "$tmp/monogen-$b" "$tmp/mod-$b"
		: >"$tmp/mod-$b.times"
	done
	i=0
	while [ $i -lt "$runs" ]; do
		for b in base new; do
			[ "$1" = edit ] && echo "// edit $i" >>"$tmp/mod-$b/scale.go"
			run "$tmp/monogen-$b" "$tmp/mod-$b"
		done
		i=$((i + 1))
	done
	echo "== $1"
	for b in base new; do
		echo "$b: user sys wall(s) maxrss(KB) per run"
		sed 's/^/  /' "$tmp/mod-$b.times"
	done
	mb=$(median "$tmp/mod-base.times")
	mn=$(median "$tmp/mod-new.times")
	echo "median cpu (user+sys): base ${mb}s new ${mn}s ratio base/new $(awk -v a="$mb" -v b="$mn" 'BEGIN { printf "%.2f", a / b }')"
}
measure same
measure edit
echo "output lines: base $(cat "$tmp"/mod-base/*_monogen.go | wc -l) new $(cat "$tmp"/mod-new/*_monogen.go | wc -l)"
