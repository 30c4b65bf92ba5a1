package luahost

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// watch is a state's permanent context. gopher-lua checks a state's
// context between instructions; a context.WithTimeout per call would cost
// a timer and a goroutine-safe channel each time, so every state keeps one
// watch and the host's watchdog closes its channel when the call it is
// running passes its deadline or its caller gives up.
type watch struct {
	done     chan struct{}
	deadline atomic.Int64 // unix nanoseconds of the running call; 0 when idle
	parent   atomic.Value // context.Context of the running call
	err      atomic.Value // error, once fired
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

// arm starts a call: it must end by its deadline and when parent is done.
// The start time is the watchdog's last tick, not a clock read: a deadline
// may fire up to one tick late, never early.
func (w *watch) arm(wd *watchdog, parent context.Context, d time.Duration) {
	w.parent.Store(parentBox{parent})
	w.deadline.Store(wd.now.Load() + int64(d) + int64(watchdogTick))
}

func (w *watch) disarm() { w.deadline.Store(0) }

// parentBox keeps atomic.Value's stored type constant.
type parentBox struct{ ctx context.Context }

// check fires the watch when its call is overdue or abandoned.
func (w *watch) check(now int64) {
	d := w.deadline.Load()
	if d == 0 || w.Err() != nil {
		return
	}
	var err error
	if now >= d {
		err = context.DeadlineExceeded
	} else if p, ok := w.parent.Load().(parentBox); ok && p.ctx.Err() != nil {
		err = p.ctx.Err()
	}
	if err != nil && w.err.CompareAndSwap(nil, err) {
		close(w.done)
	}
}

// watchdog checks every live state's watch.
type watchdog struct {
	mu      sync.Mutex
	watches map[*watch]struct{}
	stop    chan struct{}
	once    sync.Once
	now     atomic.Int64 // unix nanoseconds of the last tick
}

// watchdogTick bounds how late a deadline fires.
const watchdogTick = 5 * time.Millisecond

func newWatchdog() *watchdog {
	wd := &watchdog{watches: map[*watch]struct{}{}, stop: make(chan struct{})}
	wd.now.Store(time.Now().UnixNano())
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
			wd.mu.Lock()
			for w := range wd.watches {
				w.check(n)
			}
			wd.mu.Unlock()
		}
	}
}

func (wd *watchdog) close() { wd.once.Do(func() { close(wd.stop) }) }
