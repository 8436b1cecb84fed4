package generated

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Producer-consumer types: queues (one per policy), batchers and resource
// pools. The Bench ones have the shapes the benchmarks in
// ../bench/prodcons compare with the templates and with channels.

// Queues: a blocking one of the benchmarks' capacity, and one small queue
// per policy for the tests.
//
//monogen:queue IntQueue[int] size=1024
//monogen:queue BlockQueue[int] size=8 policy=block
//monogen:queue DropNewestQueue[int] size=8 policy=drop-newest
//monogen:queue DropOldestQueue[int] size=8 policy=drop-oldest
//monogen:queue ErrorQueue[int] size=8 policy=error
//monogen:queue ConfQueue[int] size=8 policy=drop-oldest config=true
var _ struct{}

// Batchers of the benchmarks: the batch function comes from the constructor,
// as in the template, with the benchmarks' flush interval and workers.
//
//monogen:batcher BenchBatcher50[int] size=50 flush=50ms workers=2
//monogen:batcher BenchBatcher500[int] size=500 flush=50ms workers=2
var _ struct{}

// FuncBatcher takes both its functions in its constructor, like the
// template: the tests give both the same function.
//
//monogen:batcher FuncBatcher[int] size=4 workers=1 retries=2
//monogen:batcher ConfBatcher[int] size=4 workers=1 config=true
var _ struct{}

// Row is an item of the Writes batcher.
type Row struct {
	ID   int
	Fail int // attempts of its batch that fail
}

// ErrWrite is the error of a failing attempt of WriteRows.
var ErrWrite = errors.New("write failed")

// RowLog records what the Writes batcher's bound functions receive.
type RowLog struct {
	mu       sync.Mutex
	attempts map[int]int
	Written  []int // IDs of rows written, in batch order
	Failed   []int // IDs of rows reported failed
	Batches  int   // calls of the batch function
}

// WritesLog is the log of the Writes batcher.
var WritesLog RowLog

// Attempt is one call of the batch function on rows: it fails while any row
// asks for more failing attempts than its batch has had.
func (l *RowLog) Attempt(rows []Row) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Batches++
	if l.attempts == nil {
		l.attempts = map[int]int{}
	}
	fail := false
	for _, r := range rows {
		l.attempts[r.ID]++
		if l.attempts[r.ID] <= r.Fail {
			fail = true
		}
	}
	if fail {
		return ErrWrite
	}
	for _, r := range rows {
		l.Written = append(l.Written, r.ID)
	}
	return nil
}

// Report records rows that failed after every retry.
func (l *RowLog) Report(rows []Row, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rows {
		l.Failed = append(l.Failed, r.ID)
	}
}

// Reset forgets everything recorded, so that a test starts from an empty log
// however often it runs (go test -count=N).
func (l *RowLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts, l.Written, l.Failed, l.Batches = nil, nil, nil, 0
}

// Snapshot returns copies of the written and failed IDs and the batch count.
func (l *RowLog) Snapshot() (written, failed []int, batches int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.Written...), append([]int(nil), l.Failed...), l.Batches
}

// Writes has every batcher option but the flush timer, whose tests would
// depend on time: bound batch function and error handler, retries, two
// workers.
//
//monogen:batcher Writes[Row] size=3 fn=writeRows onerror=failedRows workers=2 retries=2
func writeRows(ctx context.Context, rows []Row) error { return WritesLog.Attempt(rows) }

func failedRows(rows []Row, err error) { WritesLog.Report(rows, err) }

// Conn stands for a costly resource such as a network connection.
type Conn struct {
	ID     int
	Closed bool
	Broken bool // fails its health check
}

// ConnStats counts what the Conns pool's bound functions did.
type ConnStats struct {
	mu                      sync.Mutex
	Dialed, Closed, Checked int
	FailDial                bool          // the next dials fail
	hold                    chan struct{} // Close waits until it is closed
}

// ConnsStats are the counters of the Conns pool.
var ConnsStats ConnStats

// Counts returns the counters.
func (s *ConnStats) Counts() (dialed, closed, checked int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Dialed, s.Closed, s.Checked
}

// Reset zeroes the counters.
func (s *ConnStats) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Dialed, s.Closed, s.Checked, s.FailDial, s.hold = 0, 0, 0, false, nil
}

// HoldCloses makes every Close wait, before it closes and counts the
// connection, until release is called, so that a test can watch a pool
// while its close function runs.
func (s *ConnStats) HoldCloses() (release func()) {
	hold := make(chan struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = hold
	return sync.OnceFunc(func() { close(hold) })
}

// SetFailDial makes the next dials fail, or succeed again.
func (s *ConnStats) SetFailDial(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.FailDial = fail
}

// ErrDial is the error of a failing dial.
var ErrDial = errors.New("dial failed")

// Dial makes a connection, counted in s.
func (s *ConnStats) Dial(ctx context.Context) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.FailDial {
		return nil, ErrDial
	}
	s.Dialed++
	return &Conn{ID: s.Dialed}, ctx.Err()
}

// Close closes a connection, counted in s.
func (s *ConnStats) Close(c *Conn) {
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Closed++
	c.Closed = true
}

// Check fails for a broken connection, counted in s.
func (s *ConnStats) Check(c *Conn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Checked++
	if c.Broken {
		return errors.New("broken connection")
	}
	return nil
}

// Conns has every resource pool option.
//
//monogen:respool Conns[*Conn] max=4 new=dial close=closeConn check=ping idle=1m
func dial(ctx context.Context) (*Conn, error) { return ConnsStats.Dial(ctx) }

func closeConn(c *Conn) error { ConnsStats.Close(c); return nil }

func ping(c *Conn) error { return ConnsStats.Check(c) }

// NewConn makes a Conn for the benchmarks: no I/O, no counting.
func NewConn() (*Conn, error) { return &Conn{}, nil }

// BenchConns is the pool of the benchmarks: connections made by NewConn,
// nothing to close or check.
//
//monogen:respool BenchConns[*Conn] max=16 new=NewConn
var _ struct{}

// FuncConns takes its constructor function like the template, for the
// equivalence tests.
//
//monogen:respool FuncConns[*Conn] max=3
var _ struct{}

// ConfConns takes its limits at run time (config=true), and SetMax.
//
//monogen:respool ConfConns[*Conn] max=4 new=NewConn idle=1m config=true
var _ struct{}

// LifeStats counts the connections of LifeConns.
var LifeStats ConnStats

// LifeConns has the production options: connections live at most an hour,
// one is kept warm, and Gets are counted.
//
//monogen:respool LifeConns[*Conn] max=3 new=dialLife close=closeLife maxlife=1h minidle=1 metrics=true
func dialLife(ctx context.Context) (*Conn, error) { return LifeStats.Dial(ctx) }

func closeLife(c *Conn) { LifeStats.Close(c) }

// Handle is a resource that is not a pointer: LifeHandles tells its
// resources apart by hashing them.
type Handle int

var lastHandle atomic.Int64

func openHandle() (Handle, error) { return Handle(lastHandle.Add(1)), nil }

// LifeHandles is a pool of handles that live at most a minute.
//
//monogen:respool LifeHandles[Handle] max=2 new=openHandle maxlife=1m
var _ struct{}
