package datasource_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"msyshost/lib/config"
	"msyshost/lib/msys/datasource"
)

func parse(t *testing.T, text string) *config.Config {
	t.Helper()
	c, err := config.Parse("test.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReloadFollowsTheConfig: a reload that re-points, changes or removes
// a datasource takes effect at the next query.
func TestReloadFollowsTheConfig(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var cur atomic.Pointer[config.Config]
	cur.Store(parse(t, `datasource "ds" { uri = ( "sqlite:one.db" ) }`))
	p := datasource.NewPool(cur.Load, dir, nil, nil)
	defer p.Close()
	for _, f := range []string{"one.db", "two.db"} {
		cur.Store(parse(t, `datasource "ds" { uri = ( "sqlite:`+f+`" ) }`))
		if err := p.Exec(ctx, "ds", `CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('`+f+`')`, datasource.Params{}); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		r, err := p.Query(ctx, "ds", "SELECT v FROM t", datasource.Params{}, false)
		if err != nil {
			t.Fatal(err)
		}
		return r.Rows[0][0].(string)
	}
	if got := read(); got != "two.db" {
		t.Fatalf("read %q from the datasource the config names now", got)
	}
	cur.Store(parse(t, `datasource "ds" { uri = ( "sqlite:one.db" ) }`))
	if got := read(); got != "one.db" {
		t.Fatalf("after re-pointing: %q", got)
	}
	// Same database, other settings: the cache starts empty.
	if err := p.Exec(ctx, "ds", `UPDATE t SET v = 'changed'`, datasource.Params{}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "one.db" {
		t.Fatalf("cached read: %q", got)
	}
	cur.Store(parse(t, `datasource "ds" { uri = ( "sqlite:one.db" ) cache_life = 10 }`))
	if got := read(); got != "changed" {
		t.Fatalf("new settings must drop the cache: %q", got)
	}
	cur.Store(parse(t, `datasource "other" { uri = ( "sqlite:one.db" ) }`))
	if _, err := p.Query(ctx, "ds", "SELECT 1", datasource.Params{}, false); err == nil || !strings.Contains(err.Error(), `no datasource "ds"`) {
		t.Fatalf("a removed datasource: %v", err)
	}
}

// TestQueriesSurviveReloads: queries running while reloads change, drop
// and restore the datasource all succeed: a dropped source's database
// closes after its last query, not under it (review item 11: queries
// failed "sql: database is closed").
func TestQueriesSurviveReloads(t *testing.T) {
	ctx := context.Background()
	var cur atomic.Pointer[config.Config]
	cur.Store(parse(t, `datasource "ds" { uri = ( "sqlite:one.db" ) }`))
	p := datasource.NewPool(cur.Load, t.TempDir(), nil, nil)
	defer p.Close()
	if err := p.Exec(ctx, "ds", `CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('x')`, datasource.Params{}); err != nil {
		t.Fatal(err)
	}
	configs := []*config.Config{
		parse(t, `datasource "ds" { uri = ( "sqlite:one.db" ) cache_life = 5 }`),
		parse(t, `datasource "ds" { uri = ( "sqlite:one.db" ) max_rows = 5 }`),
		parse(t, `datasource "ds" { uri = ( "sqlite:one.db" "sqlite:one.db" ) }`), // re-pointed: closed
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if _, err := p.Query(ctx, "ds", "SELECT v FROM t", datasource.Params{}, true); err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for i := 0; i < 150; i++ {
		cur.Store(configs[i%len(configs)])
		p.Query(ctx, "ds", "SELECT 1", datasource.Params{}, true)
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatalf("a query failed during reloads: %v", err)
	}
}
