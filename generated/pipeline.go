package generated

import (
	"context"
	"fmt"
	"strconv"
)

// Pipelines int -> int64 -> float64 -> string, one per shape the
// equivalence tests (pipeline_test.go) hold against the template built
// with the same options and the same stage functions: fan-out, ordered,
// latency batches, collect mode with metrics, retries, and bound stages.
// Stages with the same workers are fused (all three, the last two, or the
// first two, alone or ordered); each pipeline has a fuse=false twin, which
// the tests hold against it too.
//
//monogen:pipeline PipeStop[int, int64, float64, string] stages=toInt64,toFloat,toString workers=2,2,2 batch=5
//monogen:pipeline PipeStopUnfused[int, int64, float64, string] stages=toInt64,toFloat,toString workers=2,2,2 batch=5 fuse=false
//monogen:pipeline PipeOrdered[int, int64, float64, string] stages=toInt64,toFloat,toString workers=2,4,4 batch=5 buffer=10 ordered=true
//monogen:pipeline PipeOrderedUnfused[int, int64, float64, string] stages=toInt64,toFloat,toString workers=2,4,4 batch=5 buffer=10 ordered=true fuse=false
//monogen:pipeline PipeCollect[int, int64, float64, string] stages=toInt64,toFloat,toString workers=3,3,4 batch=1 errors=collect metrics=true
//monogen:pipeline PipeCollectUnfused[int, int64, float64, string] stages=toInt64,toFloat,toString workers=3,3,4 batch=1 errors=collect metrics=true fuse=false
//monogen:pipeline PipeOrderedCollect[int, int64, float64, string] stages=toInt64,toFloat,toString ordered=true errors=collect retries=2 metrics=true
//monogen:pipeline PipeOrderedCollectUnfused[int, int64, float64, string] stages=toInt64,toFloat,toString ordered=true errors=collect retries=2 metrics=true fuse=false
//monogen:pipeline PipeBound[int, int64, float64, string] stages=pipeDouble,toFloat,pipeFormat workers=1,2,1 ordered=true
//monogen:pipeline PipeBoundFused[int, int64, float64, string] stages=pipeDouble,toFloat,pipeFormat workers=2,2,2 ordered=true
//monogen:pipeline PipeBoundUnfused[int, int64, float64, string] stages=pipeDouble,toFloat,pipeFormat workers=2,2,2 ordered=true fuse=false
var _ struct{}

// pipeDouble is PipeBound's first stage, called directly: func(In) Out.
func pipeDouble(x int) int64 { return int64(x) * 2 }

// pipeFormat is PipeBound's last stage, called directly:
// func(context.Context, In) (Out, error).
func pipeFormat(_ context.Context, x float64) (string, error) {
	return strconv.FormatFloat(x, 'f', 1, 64), nil
}

// A pipeline paced by a rate limiter declared in pool.go, which pools share
// too: its first stage waits for the limiter before every call.
//
//monogen:pipeline PipePaced[int, int64, float64, string] stages=toInt64,toFloat,toString workers=1,1,1 errors=collect retries=1 rate=JobQuota
//monogen:pipeline PipePacedUnfused[int, int64, float64, string] stages=toInt64,toFloat,toString workers=1,1,1 errors=collect retries=1 rate=JobQuota fuse=false
var _ struct{}

// The pipelines of the benchmarks (../bench/pipeline): int -> int64 ->
// float64 -> uint64, one or four workers per stage, in order or not, fused
// and, as a baseline, not.
//
//monogen:pipeline BenchPipe1[int, int64, float64, uint64] stages=f1,f2,f3
//monogen:pipeline BenchPipe1Ordered[int, int64, float64, uint64] stages=f1,f2,f3 ordered=true
//monogen:pipeline BenchPipe4[int, int64, float64, uint64] stages=f1,f2,f3 workers=4,4,4
//monogen:pipeline BenchPipe4Ordered[int, int64, float64, uint64] stages=f1,f2,f3 workers=4,4,4 ordered=true
//monogen:pipeline BenchPipe1Unfused[int, int64, float64, uint64] stages=f1,f2,f3 fuse=false
//monogen:pipeline BenchPipe4Unfused[int, int64, float64, uint64] stages=f1,f2,f3 workers=4,4,4 fuse=false
//monogen:pipeline BenchPipe124[int, int64, float64, uint64] stages=f1,f2,f3 workers=1,2,4
var _ struct{}

// The same three trivial stages bound at generation (stages= names package
// functions), as a user of monogen writes them: the fused loop calls them
// directly, so the compiler inlines them.
//
//monogen:pipeline BenchPipe1Bound[int, int64, float64, uint64] stages=BenchTriple,BenchHalve,BenchRound
//monogen:pipeline BenchPipe1BoundUnfused[int, int64, float64, uint64] stages=BenchTriple,BenchHalve,BenchRound fuse=false
var _ struct{}

// BenchTriple is the first trivial stage of BenchPipe1Bound.
func BenchTriple(x int) int64 { return int64(x)*3 + 1 }

// BenchHalve is the second trivial stage of BenchPipe1Bound.
func BenchHalve(x int64) float64 { return float64(x) * 0.5 }

// BenchRound is the third trivial stage of BenchPipe1Bound.
func BenchRound(x float64) uint64 { return uint64(x) + 7 }

// PipeFusedStop and PipeFusedCollect take each item of a batch through
// their three stages, fused on one goroutine, in one loop (as BenchPipe1
// does), and report each item a stage fails to onfail= and each item a
// stage skips to onskip=, which record it in FusedPipeEvents: the tests of
// that loop check which stage reported which of its inputs. PipeFusedCollect
// retries a failed call twice.
//
//monogen:pipeline PipeFusedStop[int, int64, float64, string] stages=toInt64,toFloat,toString batch=8 onfail=fusedStopFailed onskip=fusedSkipped
//monogen:pipeline PipeFusedCollect[int, int64, float64, string] stages=toInt64,toFloat,toString batch=8 errors=collect retries=2 onfail=fusedCollectFailed onskip=fusedSkipped
var _ struct{}

// FusedPipeEvents records what the onfail= and onskip= functions of
// PipeFusedStop and PipeFusedCollect see: for a failure, "stage/item:
// error" (a panic by its value); for a skip, "stage/item".
var FusedPipeEvents HookLog[string]

func fusedStopFailed(e *PipeFusedStopItemError) {
	FusedPipeEvents.Add("onfail", failure(e.Stage, e.Item, e.Err))
}

func fusedCollectFailed(e *PipeFusedCollectItemError) {
	FusedPipeEvents.Add("onfail", failure(e.Stage, e.Item, e.Err))
}

func fusedSkipped(stage string, item any) {
	FusedPipeEvents.Add("onskip", fmt.Sprintf("%s/%v", stage, item))
}
