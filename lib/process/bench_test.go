package process_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"msyshost/lib/process"
)

const benchPolicy = `local m = {}
function m:smpp_handle_DR_positive(bucket, msgid)
  msys.mstore.delete(bucket, msgid)
  return %d
end
msys.registerModule("policy", m)
`

// BenchmarkReloadLatency measures what a policy author feels: from a
// script file's write to the first hook call served by the new code,
// through the daemon's watcher (debounce, compile, swap), over 200 edits
// per run; p50 and p99 in milliseconds. compile-ms is the time to build a
// generation of the same set, asked for directly.
func BenchmarkReloadLatency(b *testing.B) {
	for _, mode := range []string{"in-place", "rename-over"} {
		b.Run(mode, func(b *testing.B) { benchReload(b, mode == "rename-over") })
	}
}

func benchReload(b *testing.B, rename bool) {
	dir := b.TempDir()
	examples, _ := filepath.Abs("../../examples")
	conf := filepath.Join(dir, "msyshost.conf")
	os.WriteFile(conf, []byte(`Data_Directory = "`+filepath.Join(dir, "data")+`"
scriptlet "scriptlet" {
  script "smpp_hooks" { source = "smpp_hooks" }
  script "mm7_hooks" { source = "mm7_hooks" }
  script "policy" { source = "policy" }
}
`), 0o644)
	script := filepath.Join(dir, "policy.lua")
	write := func(v int) {
		src := []byte(fmt.Sprintf(benchPolicy, v))
		if !rename {
			if err := os.WriteFile(script, src, 0o644); err != nil {
				b.Fatal(err)
			}
			return
		}
		tmp := script + ".tmp"
		if err := os.WriteFile(tmp, src, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, script); err != nil {
			b.Fatal(err)
		}
	}
	write(0)
	ctx := context.Background()
	p, err := process.Build(ctx, process.Options{Mode: process.Daemon, ConfigFile: conf, SearchPath: []string{examples}})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer p.Stop(ctx)
	// The first edit waits until the watcher is in place.
	time.Sleep(50 * time.Millisecond)
	var lat []time.Duration
	v := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for e := 0; e < 200; e++ {
			v++
			start := time.Now()
			write(v)
			for {
				if p.Host.Call(ctx, "smpp_handle_DR_positive", "MADR-1", "x").Code == v {
					break
				}
				if time.Since(start) > 5*time.Second {
					b.Fatalf("edit %d not served after 5s", v)
				}
				time.Sleep(100 * time.Microsecond)
			}
			lat = append(lat, time.Since(start))
		}
	}
	b.StopTimer()
	var compile time.Duration
	const rounds = 20
	for i := 0; i < rounds; i++ {
		t0 := time.Now()
		if err := p.ReloadScripts(ctx, "benchmark"); err != nil {
			b.Fatal(err)
		}
		compile += time.Since(t0)
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(ms(compile/rounds), "compile-ms")
	b.ReportMetric(0, "ns/op")
}
