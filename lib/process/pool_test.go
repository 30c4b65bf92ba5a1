package process_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"msyshost/lib/config"
	"msyshost/lib/process"
	"msyshost/luahost"
)

// Hooks that wait (here msys.sleep; in production a store's fsync, DNS,
// HTTP) run side by side on states built beyond the ones built at load
// (one per CPU), instead of queueing behind each other: the default pool
// allows 64.
func TestWaitingHooksRunSideBySide(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "wait.lua")
	os.WriteFile(script, []byte(`local m = {}
function m:smpp_handle_DR_positive(bucket, msgid)
  msys.lock("n")
  local n = (tonumber(msys.shareGet("n")) or 0) + 1
  msys.shareSet("n", n)
  if n > (tonumber(msys.shareGet("max")) or 0) then msys.shareSet("max", n) end
  msys.unlock("n")
  msys.sleep(0.5)
  msys.lock("n")
  msys.shareSet("n", tonumber(msys.shareGet("n")) - 1)
  msys.unlock("n")
  return 0
end
function m:smpp_handle_DR_negative(bucket, msgid)
  print(msys.shareGet("max"))
  return 0
end
msys.registerModule("wait", m)
`), 0o644)
	cfg, err := config.Parse("pool.conf", nil)
	if err != nil {
		t.Fatal(err)
	}
	var max string
	ctx := context.Background()
	p, err := process.Build(ctx, process.Options{Mode: process.Scenario, Config: cfg, DataDir: dir,
		Scripts: []luahost.Script{{Name: "wait", Path: script}},
		Print:   func(_, line string) { max = line }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Host.Call(ctx, "smpp_handle_DR_positive", "B", "x")
		}()
	}
	wg.Wait()
	p.Host.Call(ctx, "smpp_handle_DR_negative", "B", "x")
	if n, err := strconv.Atoi(max); err != nil || n <= runtime.GOMAXPROCS(0) {
		t.Fatalf("at most %q of 8 waiting hooks ran at once (%d states built at load)", max, runtime.GOMAXPROCS(0))
	}
}
