// Package prodcons compares monogen's producer-consumer templates (queue,
// batcher, respool) with what a Go programmer would otherwise write: buffered
// channels and channel-based pools.
package prodcons

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
