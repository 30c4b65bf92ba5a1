package msys_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/luahost"
)

// Regression tests for review item 3: every state of a pool runs the
// scripts' top-level code and init, but what they do outside Lua happens
// once, and every state sees what the first one saw.

// callAll runs hook on n states at once: each call sleeps, so the pool
// grows to n states (PoolSize above GOMAXPROCS exercises the growth).
func callAll(h *luahost.Host, n int, hook string) []int {
	var mu sync.Mutex
	var codes []int
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := h.Call(context.Background(), hook, "B", "I").Code
			mu.Lock()
			codes = append(codes, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}

// TestInitWritesAFileOnce: an init that appends to a file, removes one and
// runs a program does so once, however many states the pool builds.
func TestInitWritesAFileOnce(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "init.log")
	gone := filepath.Join(dir, "gone")
	os.WriteFile(gone, nil, 0o644)
	h := newHost(t, luahost.Options{PoolSize: 6, CallTimeout: 5 * time.Second}, `local m = {}
function m:init()
  local f = assert(io.open("`+log+`", "a"))
  f:write("init ran\n")
  f:close()
  removed = os.remove("`+gone+`")
  os.execute("echo executed >> `+log+`")
  return true
end
function m:smpp_handle_DR_positive()
  msys.sleep(0.2)
  return removed and 1 or 0
end
msys.registerModule("s", m)`)
	codes := callAll(h, 6, "smpp_handle_DR_positive")
	for _, c := range codes {
		if c != 1 {
			t.Errorf("a state's os.remove in init did not see the first state's result: codes %v", codes)
			break
		}
	}
	b, _ := os.ReadFile(log)
	if got := string(b); got != "init ran\nexecuted\n" {
		t.Fatalf("init.log is %q; want one line of each, written by the first state only", got)
	}
}

// TestStatesBuiltLaterSeeWhatTheFirstRead: a state built after the file
// init reads changed sees what the first state read.
func TestStatesBuiltLaterSeeWhatTheFirstRead(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	os.WriteFile(data, []byte("1"), 0o644)
	var mu sync.Mutex
	states := map[string]bool{}
	svc := &luahost.Services{Print: func(_, line string) { mu.Lock(); states[line] = true; mu.Unlock() }}
	h := newHostWith(t, luahost.Options{PoolSize: 6, CallTimeout: 5 * time.Second}, svc, `local m = {}
local me = tostring({})
function m:init()
  value = tonumber(msys.readfile("`+data+`"))
  return true
end
function m:smpp_handle_DR_positive()
  print(me)
  msys.sleep(0.2)
  return value
end
msys.registerModule("s", m)`)
	os.WriteFile(data, []byte("2"), 0o644)
	codes := callAll(h, 6, "smpp_handle_DR_positive")
	for _, c := range codes {
		if c != 1 {
			t.Fatalf("states saw %v; want every state to see the first state's read (1)", codes)
		}
	}
	if len(states) <= runtime.GOMAXPROCS(0) {
		t.Fatalf("the calls ran in %d states; the pool did not grow past its first states", len(states))
	}
}

// TestReplicaThatDivergesIsLogged: a state whose load takes another path
// than the first state's is logged, and its effects are refused.
func TestReplicaThatDivergesIsLogged(t *testing.T) {
	dir := t.TempDir()
	flag, out := filepath.Join(dir, "flag"), filepath.Join(dir, "out")
	os.WriteFile(out, nil, 0o644)
	logged := &lockedBuffer{}
	svc := &luahost.Services{Logger: slog.New(slog.NewTextHandler(logged, nil))}
	// The first state creates the flag file; the others find it (their
	// own writes go nowhere, the first state's are real) and go another
	// way.
	h := newHostWith(t, luahost.Options{PoolSize: 4, CallTimeout: 5 * time.Second}, svc, `local m = {}
function m:init()
  local f = io.open("`+flag+`", "r")
  if f then
    f:close()
    removed = os.remove("`+out+`")
  else
    assert(io.open("`+flag+`", "w")):close()
    msys.sleep(0)
  end
  return true
end
function m:smpp_handle_DR_positive() msys.sleep(0.2) return 0 end
msys.registerModule("s", m)`)
	callAll(h, 4, "smpp_handle_DR_positive")
	if got := logged.String(); !strings.Contains(got, "took another path than the first state") ||
		!strings.Contains(got, "os.remove, where the first state called sleep") {
		t.Fatalf("no divergence logged: %s", got)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("a diverging state's os.remove acted: %v", err)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReplicaMakingAnotherSharedObjectIsLogged: a state whose load makes
// a generation-wide object the first state did not make (a thread.mutex)
// gets one of its own, and that is logged (review item 17: it was
// silent).
func TestReplicaMakingAnotherSharedObjectIsLogged(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "flag")
	logged := &lockedBuffer{}
	svc := &luahost.Services{Logger: slog.New(slog.NewTextHandler(logged, nil))}
	h := newHostWith(t, luahost.Options{PoolSize: 4, CallTimeout: 5 * time.Second}, svc, `require("thread")
local f = io.open("`+flag+`", "r")
if f then
  f:close()
  extra = thread.mutex()
else
  assert(io.open("`+flag+`", "w")):close()
end
local m = {}
function m:smpp_handle_DR_positive() msys.sleep(0.2) return 0 end
msys.registerModule("s", m)`)
	callAll(h, 4, "smpp_handle_DR_positive")
	if got := logged.String(); !strings.Contains(got, "made thread.mutex #1, which the first state did not") {
		t.Fatalf("no divergence logged: %s", got)
	}
}
