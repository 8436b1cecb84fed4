#!/bin/sh
# measure.sh REV... generates the package of docs/size/fixture (ten maps of
# different key and value types, ten pools of different options, each with
# bench=true) with the monogen of each git revision REV ("." is the work
# tree), and reports the lines of the generated code (every *_monogen.go
# file and the package's shared file, counted once; the benchmark files
# apart) and the exported API (go doc -all). With two revisions, it diffs
# their APIs.
#
#   docs/size/measure.sh HEAD~3 .        # before and after
#   OUT=/tmp/sz docs/size/measure.sh .   # keep the packages in /tmp/sz
#
# Each generated package is left in $OUT/<n>/sizes, ready for
# go test -bench there (docs/size/bench.sh runs them, old and new interleaved).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
n=0
for rev in "$@"; do
	n=$((n + 1))
	dir=$out/$n
	rm -rf "$dir"
	mkdir -p "$dir/sizes"
	src=$root
	if [ "$rev" != . ]; then
		src=$dir/src
		mkdir -p "$src"
		git -C "$root" archive "$rev" | tar -x -C "$src"
	fi
	(cd "$src" && go build -o "$dir/monogen" ./cmd/monogen)
	cp "$root/docs/size/fixture/sizes.go" "$dir/sizes/"
	cat >"$dir/go.mod" <<MOD
module example.com/sizes

go 1.26

require github.com/monogen/monogen v0.0.0

replace github.com/monogen/monogen => $src
MOD
	cp "$root/go.sum" "$dir/go.sum"
	(cd "$dir/sizes" && "$dir/monogen" && go vet . && go doc -all . >"$dir/doc.txt")
	code=$(cat $(ls "$dir"/sizes/*.go | grep -v -e _bench_test.go -e '/sizes.go$') | wc -l)
	bench=$(cat "$dir"/sizes/*_bench_test.go | wc -l)
	files=$(cd "$dir/sizes" && ls | grep -v '^sizes.go$' | tr '\n' ' ')
	echo "$rev: $code lines of generated code, $bench of benchmarks ($files)"
done
if [ $n -eq 2 ]; then
	if diff "$out/1/doc.txt" "$out/2/doc.txt" >"$out/doc.diff"; then
		echo "API: go doc -all identical"
	else
		echo "API: go doc -all differs ($out/doc.diff):"
		cat "$out/doc.diff"
	fi
fi
echo "packages in $out"
