package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Semaphores is a set of counting semaphores in Redis, one per key, shared
// by the store=shared semaphores of every process that uses the server. A
// holder's units are a lease: a member of a sorted set scored by its expiry
// on the server's clock, with its weight in a hash. Expired leases are
// dropped by the next Acquire, so the units of a process that died come
// back once its lease ends. Both keys of a semaphore share a hash tag, so
// they live on one node of a cluster.
type Semaphores struct {
	client redis.Scripter
	prefix string
}

// NewSemaphores returns the semaphores kept in client's server under keys
// that start with prefix.
func NewSemaphores(client redis.Scripter, prefix string) *Semaphores {
	return &Semaphores{client: client, prefix: prefix}
}

// keys returns the sorted set of leases and the hash of weights of key.
func (s *Semaphores) keys(key string) []string {
	tag := "{" + s.prefix + key + "}"
	return []string{tag + ":leases", tag + ":units"}
}

// acquire drops expired leases, then adds holder's lease of n units if the
// live leases leave room for it within size.
var acquire = redis.NewScript(`
local holder, n, size, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for i = 1, #expired do
	redis.call('HDEL', KEYS[2], expired[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local used = 0
local units = redis.call('HVALS', KEYS[2])
for i = 1, #units do
	used = used + tonumber(units[i])
end
if used + n > size then
	return 0
end
redis.call('ZADD', KEYS[1], now + ttl, holder)
redis.call('HSET', KEYS[2], holder, n)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`)

// renew moves the expiry of the holders that still hold a lease.
var renew = redis.NewScript(`
local ttl = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local renewed = 0
for i = 2, #ARGV do
	local at = redis.call('ZSCORE', KEYS[1], ARGV[i])
	if at and tonumber(at) > now then
		redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i])
		renewed = renewed + 1
	end
end
if renewed > 0 then
	redis.call('PEXPIRE', KEYS[1], ttl)
	redis.call('PEXPIRE', KEYS[2], ttl)
end
return renewed
`)

// release drops holder's lease.
var release = redis.NewScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 0
`)

// Acquire takes n units of the semaphore named key, of capacity size, for
// holder until ttl from now on the server's clock, and reports whether it
// did. One round trip.
func (s *Semaphores) Acquire(ctx context.Context, key, holder string, n, size int64, ttl time.Duration) (bool, error) {
	if n < 1 || size < 1 || ttl < time.Millisecond {
		return false, fmt.Errorf("redisstore: acquire %d units of a semaphore of %d for %s: want n >= 1, size >= 1 and ttl >= 1ms", n, size, ttl)
	}
	ok, err := acquire.Run(ctx, s.client, s.keys(key), holder, n, size, ttl.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("redisstore: acquire from %q: %w", s.prefix+key, err)
	}
	return ok == 1, nil
}

// Renew extends to ttl from now the leases of those holders that still hold
// one, and returns how many did. One round trip.
func (s *Semaphores) Renew(ctx context.Context, key string, holders []string, ttl time.Duration) (int, error) {
	args := make([]any, 0, 1+len(holders))
	args = append(args, ttl.Milliseconds())
	for _, h := range holders {
		args = append(args, h)
	}
	n, err := renew.Run(ctx, s.client, s.keys(key), args...).Int()
	if err != nil {
		return 0, fmt.Errorf("redisstore: renew in %q: %w", s.prefix+key, err)
	}
	return n, nil
}

// Release frees the units of holder. One round trip.
func (s *Semaphores) Release(ctx context.Context, key, holder string) error {
	if err := release.Run(ctx, s.client, s.keys(key), holder).Err(); err != nil {
		return fmt.Errorf("redisstore: release in %q: %w", s.prefix+key, err)
	}
	return nil
}
