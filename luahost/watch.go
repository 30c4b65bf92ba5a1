package luahost

import (
	"context"
	"errors"
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// watch is a state's permanent context. gopher-lua checks a state's
// context between instructions; a context.WithTimeout per call would cost
// a timer and a goroutine-safe channel each time, so every state keeps one
// watch and the host's watchdog closes its channel when the call it is
// running passes its deadline or its caller gives up.
type watch struct {
	done     chan struct{}
	deadline atomic.Int64  // unix nanoseconds of the running call; 0 when idle
	heap0    atomic.Uint64 // live heap when the call started
	parent   atomic.Value  // context.Context of the running call
	err      atomic.Value  // error, once fired

	afterMu sync.Mutex
	after   map[*func()]struct{} // AfterFunc callbacks still to run
}

var _ context.Context = (*watch)(nil)

func newWatch() *watch { return &watch{done: make(chan struct{})} }

func (w *watch) Deadline() (time.Time, bool) {
	if d := w.deadline.Load(); d != 0 {
		return time.Unix(0, d), true
	}
	return time.Time{}, false
}

func (w *watch) Done() <-chan struct{} { return w.done }

func (w *watch) Err() error {
	if e, ok := w.err.Load().(error); ok {
		return e
	}
	return nil
}

func (w *watch) Value(any) any { return nil }

// AfterFunc runs f in its own goroutine once the watch fires; stop cancels
// that. gopher-lua gives every coroutine a context.WithCancel of its
// state's context, and for a parent with this method the context package
// registers a callback instead of starting a goroutine that would wait,
// for an abandoned coroutine, as long as the state lives.
func (w *watch) AfterFunc(f func()) (stop func() bool) {
	w.afterMu.Lock()
	defer w.afterMu.Unlock()
	select {
	case <-w.done:
		go f()
		return func() bool { return false }
	default:
	}
	if w.after == nil {
		w.after = map[*func()]struct{}{}
	}
	key := &f
	w.after[key] = struct{}{}
	return func() bool {
		w.afterMu.Lock()
		defer w.afterMu.Unlock()
		_, ok := w.after[key]
		delete(w.after, key)
		return ok
	}
}

// fire closes the watch's channel and runs the AfterFunc callbacks.
func (w *watch) fire(err error) {
	w.err.Store(err)
	w.afterMu.Lock()
	close(w.done)
	after := w.after
	w.after = nil
	w.afterMu.Unlock()
	for f := range after {
		go (*f)()
	}
}

// armed is what a call's arm replaced, for end.
type armed struct {
	deadline int64
	heap0    uint64
	parent   <-chan struct{}
}

// firing marks a watch the watchdog has claimed.
const firing = -1

// arm starts a call: it must end by its deadline and when parent is done.
// The start time is the watchdog's last tick, not a clock read: a deadline
// may fire up to one tick late, never early. A call nested in a running
// one keeps the earlier deadline, and the outer caller's cancellation when
// its own context cannot be cancelled. It returns what it replaced and the
// deadline it set, for end.
func (w *watch) arm(wd *watchdog, parent context.Context, d time.Duration) (armed, int64) {
	prev := armed{deadline: w.deadline.Load(), heap0: w.heap0.Load()}
	prev.parent, _ = w.parent.Load().(<-chan struct{})
	deadline := wd.now.Load() + int64(d) + int64(watchdogTick)
	if prev.deadline != 0 {
		deadline = min(deadline, prev.deadline)
	} else {
		w.heap0.Store(wd.heap.Load())
	}
	// A channel is pointer-shaped: storing it costs no allocation, unlike
	// storing the context interface.
	done := parent.Done()
	if done == nil {
		done = prev.parent
	}
	w.parent.Store(done)
	w.deadline.Store(deadline)
	return prev, deadline
}

// end ends a call armed with deadline mine, putting back what an enclosing
// call had armed, and reports whether the watch fired during the call. The
// watchdog and end hand the deadline over by compare-and-swap, so a watch
// fires while its call runs or not at all.
func (w *watch) end(prev armed, mine int64) (fired bool) {
	if !w.deadline.CompareAndSwap(mine, prev.deadline) {
		return true
	}
	w.heap0.Store(prev.heap0)
	w.parent.Store(prev.parent)
	return false
}

// ErrMemoryLimit stops a call during which the live heap grew past the
// host's memory limit.
var ErrMemoryLimit = errors.New("memory limit exceeded")

// check fires the watch when its call is overdue, abandoned, or has grown
// the live heap by more than limit bytes.
func (w *watch) check(now int64, heap, limit uint64) {
	d := w.deadline.Load()
	if d == 0 || d == firing {
		return
	}
	var err error
	if now >= d {
		err = context.DeadlineExceeded
	} else if h0 := w.heap0.Load(); limit > 0 && heap > h0 && heap-h0 > limit {
		err = ErrMemoryLimit
	} else if done, _ := w.parent.Load().(<-chan struct{}); done != nil {
		select {
		case <-done:
			err = context.Canceled
		default:
		}
	}
	if err != nil && w.deadline.CompareAndSwap(d, firing) {
		w.fire(err)
	}
}

// watchdog checks every live state's watch.
type watchdog struct {
	mu      sync.Mutex
	watches map[*watch]struct{}
	stop    chan struct{}
	once    sync.Once
	now     atomic.Int64  // unix nanoseconds of the last tick
	heap    atomic.Uint64 // live heap bytes at the last tick
	limit   uint64        // per-call growth of the live heap allowed
}

// watchdogTick bounds how late a deadline fires.
const watchdogTick = 5 * time.Millisecond

func newWatchdog(limit uint64) *watchdog {
	wd := &watchdog{watches: map[*watch]struct{}{}, stop: make(chan struct{}), limit: limit}
	wd.now.Store(time.Now().UnixNano())
	wd.heap.Store(liveHeap())
	go wd.run()
	return wd
}

func (wd *watchdog) add(w *watch) {
	wd.mu.Lock()
	wd.watches[w] = struct{}{}
	wd.mu.Unlock()
}

func (wd *watchdog) remove(w *watch) {
	wd.mu.Lock()
	delete(wd.watches, w)
	wd.mu.Unlock()
}

func (wd *watchdog) run() {
	t := time.NewTicker(watchdogTick)
	defer t.Stop()
	for {
		select {
		case <-wd.stop:
			return
		case now := <-t.C:
			n := now.UnixNano()
			wd.now.Store(n)
			heap := liveHeap()
			wd.heap.Store(heap)
			wd.mu.Lock()
			for w := range wd.watches {
				w.check(n, heap, wd.limit)
			}
			wd.mu.Unlock()
		}
	}
}

func (wd *watchdog) close() { wd.once.Do(func() { close(wd.stop) }) }

// liveHeap returns the heap bytes the last garbage collection found live.
// Live, not allocated: a script that churns garbage is not stopped, one
// that keeps what it allocates is.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// firedErr returns why the watch fired, waiting out the instant between
// the watchdog claiming the watch and recording the reason.
func (w *watch) firedErr() error {
	for {
		if err := w.Err(); err != nil {
			return err
		}
		runtime.Gosched()
	}
}

// Allowance is how many more bytes the call L runs may allocate before
// the memory limit stops it (the limit less what the live heap grew since
// the call began, as the watchdog last measured it); ok is false when
// there is no limit. A binding about to allocate a large block (a whole
// file, a repeated string) checks the size against it first and answers
// "not enough memory" instead of allocating past the limit before the
// watchdog next looks.
func Allowance(L *lua.LState) (n uint64, ok bool) {
	st := stateOf(L)
	limit := st.host.opts.MemoryLimit
	if limit == 0 || limit == math.MaxUint64 {
		return 0, false
	}
	if st.watch.deadline.Load() == 0 {
		return limit, true
	}
	heap, h0 := st.host.watchdog.heap.Load(), st.watch.heap0.Load()
	if heap > h0 {
		if heap-h0 >= limit {
			return 0, true
		}
		return limit - (heap - h0), true
	}
	return limit, true
}
