package generated

import "net/netip"

// Keyed limiters: one limiter per key, in a map specialized for the key
// type, whose idle keys are evicted.
//
// PerIP admits 5 requests at once per client address, then 10 a second; a
// client whose bucket has been full for a minute is forgotten. PerUser
// admits 2 events per user ID, then one every 10ms, for at most 1024 users
// at once.
//
//monogen:ratelimit PerIP[netip.Addr] algo=token rate=10/s burst=5 idle=1m
//monogen:ratelimit PerUser[uint64] rate=100/s burst=2 idle=50ms keys=1024 bench=true

// clientAddr returns the i-th of a range of IPv6 client addresses.
func clientAddr(i int) netip.Addr {
	var a [16]byte
	a[0], a[1] = 0x20, 0x01
	a[12], a[13], a[14], a[15] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	return netip.AddrFrom16(a)
}

// BenchPerIP is the keyed limiter of the benchmarks: a bucket per address
// that always admits (one token per nanosecond, a burst of 18 minutes), so
// that the cost measured is the lookup and the decision.
//
//monogen:ratelimit BenchPerIP[netip.Addr] rate=1000000000/s burst=1099511627776 idle=1h

// TenantID names a customer.
type TenantID string

// PerTenant lets each tenant run 4 units of work at once; a tenant idle for
// a minute is forgotten. BenchPerShard (integer keys, bench=true) and
// BenchPerHost (the bench module's, on addresses) are the keyed semaphores
// of the benchmarks.
//
//monogen:semaphore PerTenant[TenantID] n=4 idle=1m keys=4096
//monogen:semaphore BenchPerShard[uint64] n=64 idle=1h bench=true
//monogen:semaphore BenchPerHost[netip.Addr] n=64 idle=1h
