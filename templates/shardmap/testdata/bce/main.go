// Command bce instantiates the lookups of shardmap.Map for the key types of
// TestLookupsHaveNoBoundsChecks, which compiles it with the compiler's
// bounds-check report on.
package main

import "github.com/monogen/monogen/templates/shardmap"

type key16 struct{ a, b int64 }

func main() {
	ints := shardmap.New[int, int]()
	ints.Load(1)
	ints.LoadOrStore(1, 1)
	strs := shardmap.New[string, int]()
	strs.Load("a")
	strs.LoadOrStore("a", 1)
	structs := shardmap.New[key16, int]()
	structs.Load(key16{})
	structs.LoadOrStore(key16{}, 1)
}
