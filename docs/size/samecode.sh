#!/bin/sh
# samecode.sh OLD.test NEW.test compares the machine code of the functions
# of package example.com/sizes/sizes (the fixture) that both test binaries
# hold: the methods of its generated types, by name. Addresses, symbol
# names and padding are ignored, so code that only moved to another file
# or took another name compares equal. Build the binaries as bench.sh
# does (go test -c in each generated package).
set -eu
norm() {
	go tool objdump -s '^example.com/sizes/sizes\.' "$1" | awk '
		/^TEXT / { name = $2; next }
		name != "" {
			split($0, f, /\t+/); ins = f[4]
			gsub(/0x[0-9a-f]+/, "", ins); gsub(/[^ ,]*\(SB\)/, "SYM", ins)
			gsub(/^[ \t]+|[ \t]+$/, "", ins)
			if (ins != "" && ins !~ /^INT \$3/ && name !~ /Benchmark/) print name "\t" ins
		}'
}
dir=$(mktemp -d)
norm "$1" >"$dir/old"
norm "$2" >"$dir/new"
cut -f1 "$dir/old" | sort -u >"$dir/old.names"
cut -f1 "$dir/new" | sort -u >"$dir/new.names"
comm -12 "$dir/old.names" "$dir/new.names" >"$dir/common"
total=0 differ=0
mkdir "$dir/a" "$dir/b"
awk -F'\t' -v d="$dir/a" '{ f = $1; gsub(/[^A-Za-z0-9]/, "_", f); print $2 > (d "/" f) }' "$dir/old"
awk -F'\t' -v d="$dir/b" '{ f = $1; gsub(/[^A-Za-z0-9]/, "_", f); print $2 > (d "/" f) }' "$dir/new"
while read -r fn; do
	total=$((total + 1))
	f=$(printf '%s' "$fn" | sed 's/[^A-Za-z0-9]/_/g')
	if ! cmp -s "$dir/a/$f" "$dir/b/$f"; then
		differ=$((differ + 1))
		echo "differs: $fn"
	fi
done <"$dir/common"
echo "$total functions in both, $differ with different code"
rm -r "$dir"
