// Package limits holds the generated limiters the tests of redisstore run
// against a real Redis server.
package limits

//monogen:ratelimit Open algo=token rate=2000/s burst=100 store=shared onfail=open timeout=200ms
//monogen:ratelimit Closed algo=token rate=2000/s burst=100 store=shared onfail=closed timeout=200ms
//monogen:ratelimit Local algo=token rate=2000/s burst=100 store=shared onfail=local replicas=4 timeout=200ms
//monogen:ratelimit Fast algo=token rate=100000000/s burst=4000 store=shared onfail=closed lease=1000 timeout=200ms

//monogen:semaphore Slots n=4 store=shared onfail=closed ttl=1s timeout=300ms
//monogen:semaphore BusySlots n=4 store=shared onfail=closed timeout=2s
//monogen:semaphore OpenSlots n=4 store=shared onfail=open ttl=300ms timeout=100ms
//monogen:semaphore LocalSlots n=4 store=shared onfail=local replicas=2 ttl=300ms timeout=100ms
