package conformance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWatchRerunsWhatAChangeTouches(t *testing.T) {
	dir := t.TempDir()
	put := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hook := func(code string) string {
		return "local m = {}\nfunction m:smpp_handle_DR_positive(b, id) return " + code + " end\nmsys.registerModule(\"p\", m)\n"
	}
	put("p.lua", hook("3"))
	put("uses.yaml", "name: uses p\nscripts: [p.lua]\nsteps:\n  - receipt: {via: smpp, bucket: B, msgid: m, stat: DELIVRD}\n    expect: {hooks: [{name: smpp_handle_DR_positive, returned: 3}]}\n")
	put("other.yaml", "name: no scripts\nsteps:\n  - lua: \"local x = 1\"\n")
	files, err := Collect([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	rep := RunFiles(context.Background(), files, Options{}, nil, false)
	if rep.Failed() != 0 {
		t.Fatalf("first run: %+v", rep.Results[0].Failures)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuf{}
	done := make(chan error)
	go func() { done <- Watch(ctx, rep, Options{}, out) }()
	// wait waits for the n-th line containing want (the first by default).
	wait := func(want string, n ...int) {
		t.Helper()
		times := 1
		if len(n) > 0 {
			times = n[0]
		}
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if strings.Count(out.String(), want) >= times {
				return
			}
		}
		t.Fatalf("no %q (%d times) in:\n%s", want, times, out.String())
	}
	wait("watching")
	put("p.lua", hook("0"))
	wait("p.lua changed: 1 scenario, 0 passed, 1 failed")
	wait("FAIL uses p")
	put("p.lua", hook("3"))
	wait("p.lua changed: 1 scenario, 1 passed, 0 failed")
	put("other.yaml", "name: no scripts\nsteps:\n  - lua: \"error('boom')\"\n")
	wait("other.yaml changed: 1 scenario, 0 passed, 1 failed")
	// A script that breaks the setup, then is fixed: the scenario reruns.
	put("p.lua", "local m = {\n")
	wait("p.lua changed: 1 scenario, 0 passed, 1 failed", 2)
	put("p.lua", hook("3"))
	wait("p.lua changed: 1 scenario, 1 passed, 0 failed", 2)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
