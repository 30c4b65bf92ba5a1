package db_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/config"
	"msyshost/lib/msys/datasource"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys/db"
)

// clock is the datasource pool's time; msys.db_test.advance(s) moves it.
var (
	clockMu sync.Mutex
	clock   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func now() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }

func init() {
	luahost.Register(luahost.Binding{Name: "msys.db_test", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		luahost.SetFuncs(L, t, map[string]lua.LGFunction{
			"advance": luahost.Func("advance", func(a luahost.Args) int {
				clockMu.Lock()
				clock = clock.Add(time.Duration(a.Number(1) * float64(time.Second)))
				clockMu.Unlock()
				return 0
			}),
		})
		return t
	}})
}

// seed creates a SQLite file with one table t(v) holding v.
func seed(t *testing.T, path, v string) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t(v TEXT); INSERT INTO t VALUES (?)`, v); err != nil {
		t.Fatal(err)
	}
}

func TestLua(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "abs.db")
	seed(t, filepath.Join(dir, "a.db"), "from a")
	seed(t, filepath.Join(dir, "b.db"), "from b")
	seed(t, abs, "absolute")
	cfg, err := config.Parse("test.conf", []byte(`
datasource "ecdb" { uri = ( "sqlite:policy.db" ) cache_life = 60 }
datasource "fresh" { uri = ( "sqlite:policy.db" ) no_cache = true }
datasource "small" { uri = ( "sqlite:policy.db" ) max_rows = 2 cache_size = 1 }
datasource "rr" { uri = ( "sqlite:a.db" "sqlite:b.db" ) }
datasource "abs" { uri = ( "sqlite:`+abs+`" ) }
datasource "mssql" { uri = ( "odbc:DSN=sqlserver;UID=user;PWD=pass" ) }
datasource "nowhere" { uri = ( "sqlite:no/such/dir/x.db" ) }
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Check(false); err != nil {
		t.Fatalf("the datasource scope and options must be declared: %v", err)
	}
	p := datasource.NewPool(func() *config.Config { return cfg }, dir, nil, now)
	defer p.Close()
	svc := datasource.Datasources.Set(&luahost.Services{}, p)
	luatest.Run(t, "api_test.lua", svc)

	if _, err := os.Stat(filepath.Join(dir, "policy.db")); err != nil {
		t.Errorf("a relative sqlite path must be under the data directory: %v", err)
	}
	luatest.Run(t, "none_test.lua", nil)
}

// TestDeadlineStopsAQuery: a query that would run for minutes ends at the
// hook's deadline.
func TestDeadlineStopsAQuery(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := config.Parse("test.conf", []byte(`datasource "ecdb" { uri = ( "sqlite:slow.db" ) }`))
	p := datasource.NewPool(func() *config.Config { return cfg }, dir, nil, nil)
	defer p.Close()
	h := luahost.New(luahost.Options{PoolSize: 1, CallTimeout: 300 * time.Millisecond},
		datasource.Datasources.Set(&luahost.Services{}, p))
	defer h.Close()
	start := time.Now()
	err := h.Run(context.Background(), "slow", `
local r, err = msys.db.fetch_row("ecdb", [[WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c)
  SELECT count(*) AS n FROM (SELECT x FROM c LIMIT 5000000000)]], nil, { raise_error = false, nocache = true })
error(tostring(err))`)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the query ran %v past a 300ms deadline", took)
	}
	if err == nil || !strings.Contains(err.Error(), "deadline") && !strings.Contains(err.Error(), "interrupt") {
		t.Fatalf("want the query stopped at the deadline, got %v", err)
	}
}
