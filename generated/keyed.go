package generated

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
)

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

// ConfPerIP is PerIP with its limits from configuration: a zero
// ConfPerIPConfig takes rate=10/s and burst=5, and the default idle time.
//
//monogen:ratelimit ConfPerIP[netip.Addr] rate=10/s burst=5 config=true

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

// ConfPerTenant is PerTenant with its limits from configuration: a zero
// ConfPerTenantConfig takes n=4 and keys=4096, and the default idle time.
//
//monogen:semaphore ConfPerTenant[TenantID] n=4 keys=4096 config=true

// Call is a request to a host of a fleet; it fails when Fail is set, after
// Wait is closed if it is not nil.
type Call struct {
	Host string
	Fail bool
	Wait <-chan struct{}
}

// HostOf is the key of a call: its host.
func HostOf(c Call) string { return c.Host }

// CallHost makes a call: it returns the host, or ErrHostDown.
func CallHost(_ context.Context, c Call) (string, error) {
	if c.Wait != nil {
		<-c.Wait
	}
	if c.Fail {
		return "", ErrHostDown
	}
	return c.Host, nil
}

// ErrHostDown is the error of a failing call.
var ErrHostDown = errors.New("host down")

// PerHost is a circuit breaker per host: 3 failures in a minute trip a
// host's breaker for an hour, and a host without calls for 50ms is
// forgotten, for at most 64 hosts at once.
//
//monogen:breaker PerHost[Call, string] key=HostOf fn=CallHost failures=3 window=1m cooldown=1h halfopen=1 idle=50ms keys=64

// PolicyHosts is a breaker per host with every policy: ErrHostDown is the
// only error that counts, a call slower than a second fails, changes of
// state are recorded with their host, and failed or rejected calls return
// the fallback's answer. Its limits come at run time.
//
//monogen:breaker PolicyHosts[Call, string] key=HostOf fn=CallHost failures=2 cooldown=1s halfopen=2 failure=hostFailure slow=1s onchange=hostChanged fallback=hostFallback config=true

// hostFailure counts ErrHostDown only.
func hostFailure(err error) bool { return errors.Is(err, ErrHostDown) }

// hostFallback answers "fallback: " and the error.
func hostFallback(_ Call, err error) (string, error) { return "fallback: " + err.Error(), nil }

var (
	hostChangesMu sync.Mutex
	hostChanges   []string
)

// hostChanged records a change of state of PolicyHosts.
func hostChanged(host string, from, to PolicyHostsState, counts PolicyHostsCounts) {
	hostChangesMu.Lock()
	defer hostChangesMu.Unlock()
	hostChanges = append(hostChanges, fmt.Sprintf("%s %v->%v %d/%d", host, from, to, counts.Successes, counts.Failures))
}

// HostChanges returns and forgets the changes hostChanged recorded.
func HostChanges() []string {
	hostChangesMu.Lock()
	defer hostChangesMu.Unlock()
	out := hostChanges
	hostChanges = nil
	return out
}

// BenchHostBreaker is the keyed breaker of the benchmarks: a breaker per
// address around a call that always succeeds, so that the cost measured is
// the lookup and the breaker. BenchAddrBreaker is the same breaker without
// a key, one for every address; BenchShardBreaker (integer keys,
// bench=true) is measured against its template.
//
//monogen:breaker BenchHostBreaker[netip.Addr, int] key=addrKey fn=serveAddr idle=1h
//monogen:breaker BenchAddrBreaker[netip.Addr, int] fn=serveAddr
//monogen:breaker BenchShardBreaker[uint64, int] key=shardKey fn=serveShard idle=1h bench=true

// addrKey is the key of a request to an address: the address.
func addrKey(a netip.Addr) netip.Addr { return a }

// serveAddr answers a request to an address: 0, nil.
func serveAddr(context.Context, netip.Addr) (int, error) { return 0, nil }

// shardKey is the key of a request to a shard: the shard.
func shardKey(s uint64) uint64 { return s }

// serveShard answers a request to a shard: 0, nil.
func serveShard(context.Context, uint64) (int, error) { return 0, nil }

// PerScore, PerScoreSlots and PerCalibration are keyed by floats, for
// which -0 and +0 are one key and a NaN key, which no map finds again, is
// refused.
//
//monogen:ratelimit PerScore[float64] rate=10/s burst=2 keys=16
//monogen:semaphore PerScoreSlots[float64] n=2 keys=16
//monogen:breaker PerCalibration[Reading, string] key=calibrationOf fn=readSensor failures=2 keys=16

// Reading is a request to a sensor, known by its calibration value; it
// fails when Fail is set.
type Reading struct {
	Calibration float64
	Fail        bool
}

func calibrationOf(r Reading) float64 { return r.Calibration }

func readSensor(_ context.Context, r Reading) (string, error) {
	if r.Fail {
		return "", ErrHostDown
	}
	return "ok", nil
}
