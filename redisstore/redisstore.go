// Package redisstore keeps the shared state of monogen's store=shared rate
// limiters (Buckets) and semaphores (Semaphores) in Redis, so that a limit
// holds across every replica of a service rather than in each process.
//
// A generated limiter with store=shared declares the store it needs as an
// interface of its own (for a directive named API, APIStore), so that the
// generated code imports only the standard library. *Buckets satisfies every
// such interface:
//
//	//monogen:ratelimit API algo=token rate=1000/s burst=100 store=shared onfail=local replicas=4
//
//	client := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
//	limiter := NewAPI(redisstore.NewBuckets(client, "ratelimit:"), "api")
//
// Create the client with ContextTimeoutEnabled, so that the limiter's
// timeout= ends a call to a server that does not answer; without it,
// go-redis waits for its own read timeout (3 seconds by default).
//
// The limiter takes tokens in leases, so Redis sees one call per lease, not
// one per event. Each bucket is one Redis string, updated by one Lua script
// that reads Redis's own clock (TIME): the processes' clocks may disagree,
// the bucket's does not.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Buckets is a set of token buckets in Redis, one per key. It is safe for
// concurrent use, by as many limiters and processes as share the server.
type Buckets struct {
	client redis.Scripter
	prefix string
}

// NewBuckets returns the buckets kept in client's server under keys that
// start with prefix.
func NewBuckets(client redis.Scripter, prefix string) *Buckets {
	return &Buckets{client: client, prefix: prefix}
}

// take is GCRA in microseconds of the server's clock. The key holds the
// time at which the bucket is full again; a missing key is a full bucket.
// The bucket holds floor((now + burst*interval - max(full, now)) / interval)
// tokens; taking k moves full k intervals later. The key expires when the
// bucket is full, so idle buckets take no memory.
//
// Times are doubles (Lua's numbers) in microseconds since 2023-11-14
// (Unix time 1,700,000,000 s), small enough to keep a resolution of 1/64
// microsecond for the next 70 years; an interval may be shorter than a
// microsecond.
var take = redis.NewScript(`
local n = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1700000000) * 1000000 + tonumber(t[2])
local full = tonumber(redis.call('GET', KEYS[1]))
if not full or full < now then
	full = now
end
local free = math.floor((now + burst * interval - full) / interval)
if free < 1 then
	return {0, math.ceil(full + interval - burst * interval - now)}
end
local took = math.min(n, free)
full = full + took * interval
redis.call('SET', KEYS[1], string.format('%.6f', full), 'PX', math.ceil((full - now) / 1000) + 1)
return {took, 0}
`)

// Take takes up to n tokens from the bucket named key, which holds at most
// burst tokens and gains one per interval, and returns how many it took and,
// when it took none, how long until the bucket holds one. It is one round
// trip: the script runs atomically on the server.
func (b *Buckets) Take(ctx context.Context, key string, n int64, interval time.Duration, burst int64) (took int64, wait time.Duration, err error) {
	if n < 1 || burst < 1 || interval < 1 {
		return 0, 0, fmt.Errorf("redisstore: take %d tokens of a bucket of %d refilled every %s: want n >= 1, burst >= 1 and interval > 0", n, burst, interval)
	}
	us := strconv.FormatFloat(float64(interval)/float64(time.Microsecond), 'g', -1, 64)
	res, err := take.Run(ctx, b.client, []string{b.prefix + key}, n, us, burst).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("redisstore: take from %q: %w", b.prefix+key, err)
	}
	if len(res) != 2 || res[0] < 0 || res[0] > n {
		return 0, 0, errors.New("redisstore: unexpected reply from the take script")
	}
	if res[1] > math.MaxInt64/int64(time.Microsecond) {
		return res[0], time.Duration(math.MaxInt64), nil
	}
	return res[0], time.Duration(res[1]) * time.Microsecond, nil
}
