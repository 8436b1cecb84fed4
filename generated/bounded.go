package generated

// Bounded parallelism: one directive per kind and shape the equivalence
// tests and benchmarks compare with the templates.
//
//monogen:semaphore Slots n=4
//monogen:semaphore BenchSlots n=64
var _ struct{}
