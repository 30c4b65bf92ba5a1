// Package cidr is the Lua module msys.cidr: named tables of networks and
// their values (rbldnsd files, datasource queries, or empty), looked up by
// address with the longest matching network. The tables are the host's;
// the generation whose init defined one refreshes it until it retires.
package cidr

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/lib/msys/datasource"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.cidr", Open: open, Notes: map[string]string{
		"msys.cidr.define": "sources are files and file:// URIs; optimize is accepted (lookups are by prefix length)",
	}})
}

// cidr is one defined table.
type cidr struct {
	name, kind  string
	def         lua.LValue // default_value: nil, a boolean or a string
	interpolate bool
	load        func(context.Context) (*Table, error)
	mu          sync.RWMutex
	table       *Table
	stop        chan struct{}
}

func (c *cidr) reload(ctx context.Context) error {
	t, err := c.load(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.table = t
	c.mu.Unlock()
	return nil
}

type registry struct {
	mu     sync.Mutex
	byName map[string]*cidr
}

type regKey struct{}

// registryOf is the host's tables: those of the serving generation (and
// of those before it that nothing redefined).
func registryOf(L *lua.LState) *registry {
	return luahost.HostShared(L, regKey{}, func() *registry { return &registry{byName: map[string]*cidr{}} })
}

type pendingKey struct{}

// pendingOf is the tables a generation defined while it is built.
func pendingOf(L *lua.LState) *registry {
	return luahost.GenerationLocal(L, pendingKey{}, func() *registry { return &registry{byName: map[string]*cidr{}} })
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"define": luahost.Func("define", define),
		"query":  luahost.Func("query", query),
		"reload": luahost.Func("reload", reload),
	})
	return t
}

// msys.cidr.define(name, options): defines (or redefines) a named table;
// options.type is "rbldnsd" (options.source, options.value "a" or "txt"),
// "datasource" (options.cachename names an msys.datasource, options.query,
// options.cidr_column, options.value_column) or "empty"; options.refresh reloads it every so
// many seconds (default 1800, 0 never); options.default_value is what a
// query that matches nothing returns; options.interpolate replaces "$" in
// values with the address queried. options may be the type alone.
func define(a luahost.Args) int {
	name := a.String(1)
	opts := a.L.NewTable()
	switch v := a.Get(2).(type) {
	case *lua.LTable:
		opts = v
	case lua.LString:
		opts.RawSetString("type", v)
	default:
		a.TypeError(2, "table")
	}
	str := func(k, def string) string {
		if s, ok := luahost.ToString(opts.RawGetString(k)); ok {
			return s
		}
		return def
	}
	c := &cidr{name: name, kind: str("type", ""), def: opts.RawGetString("default_value"), interpolate: lua.LVAsBool(opts.RawGetString("interpolate"))}
	switch c.kind {
	case "empty":
		c.load = func(context.Context) (*Table, error) { return NewTable(), nil }
	case "rbldnsd":
		src := str("source", "")
		if src == "" {
			a.Raise("msys.cidr.define(%q): an rbldnsd CIDR needs options.source", name)
		}
		value := strings.ToLower(str("value", "a"))
		if value != "a" && value != "txt" {
			a.Raise("msys.cidr.define(%q): options.value is \"a\" or \"txt\", got %q", name, value)
		}
		c.load = func(context.Context) (*Table, error) { return loadFile(src, value) }
	case "datasource":
		ds, ok := datasource.Datasources.Get(a.L)
		if !ok || ds == nil {
			a.Raise("msys.cidr.define(%q): datasource CIDRs need msys.datasource, and this host has no datasources configured", name)
		}
		cache, q := str("cachename", ""), str("query", "")
		if cache == "" || q == "" {
			a.Raise("msys.cidr.define(%q): a datasource CIDR needs options.cachename and options.query", name)
		}
		cidrCol, valueCol := str("cidr_column", "1"), str("value_column", "")
		c.load = func(ctx context.Context) (*Table, error) { return loadRows(ctx, ds, cache, q, cidrCol, valueCol) }
	default:
		a.Raise("msys.cidr.define(%q): options.type is datasource, rbldnsd or empty, got %q", name, c.kind)
	}
	refresh, _ := luahost.ToNumber(opts.RawGetString("refresh"))
	if opts.RawGetString("refresh") == lua.LNil {
		refresh = 1800
	}
	if luahost.Quiet(a.L) {
		return 0
	}
	if err := c.reload(a.L.Context()); err != nil {
		a.Raise("msys.cidr.define(%q): %v", name, err)
	}
	if luahost.Building(a.L) {
		// Until the generation serves, its own code finds the table
		// here; the serving generation's tables stay as they are.
		p := pendingOf(a.L)
		p.mu.Lock()
		p.byName[name] = c
		p.mu.Unlock()
	}
	log := luahost.Log(a.L)
	every := time.Duration(refresh * float64(time.Second))
	r := registryOf(a.L)
	luahost.OnServe(a.L, func() {
		r.mu.Lock()
		old := r.byName[name]
		r.byName[name] = c
		r.mu.Unlock()
		if old != nil {
			old.stopRefresh()
		}
		if refresh > 0 && c.kind != "empty" {
			c.startRefresh(every, log)
		}
	})
	luahost.OnRetire(a.L, c.stopRefresh)
	return 0
}

// startRefresh reloads the table every so often until stopRefresh.
func (c *cidr) startRefresh(every time.Duration, log *slog.Logger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop != nil {
		return
	}
	stop := make(chan struct{})
	c.stop = stop
	luahost.SafeGo(log, "msys.cidr refresh", func() { c.refresher(every, stop, log) })
}

func (c *cidr) stopRefresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop != nil {
		close(c.stop)
		c.stop = nil
	}
}

func (c *cidr) refresher(every time.Duration, stop chan struct{}, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			if err := c.reload(ctx); err != nil {
				log.Warn("msys.cidr: refresh failed; the previous data stays", "cidr", c.name, "error", err)
			}
			cancel()
		}
	}
}

func loadFile(src, value string) (*Table, error) {
	path := src
	if strings.Contains(src, "://") {
		u, err := url.Parse(src)
		if err != nil || u.Scheme != "file" {
			return nil, fmt.Errorf("source %s: only files and file:// URIs can be read", src)
		}
		path = u.Path
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ParseRBLDNSD(f, value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func loadRows(ctx context.Context, ds *datasource.Pool, cache, q, cidrCol, valueCol string) (*Table, error) {
	res, err := ds.Query(ctx, cache, q, datasource.Params{}, true)
	if err != nil {
		return nil, err
	}
	cols := res.Columns
	idx := func(col string) (int, error) {
		for i, c := range cols {
			if strings.EqualFold(c, col) {
				return i, nil
			}
		}
		var n int
		if _, err := fmt.Sscanf(col, "%d", &n); err == nil && n >= 1 && n <= len(cols) {
			return n - 1, nil
		}
		return 0, fmt.Errorf("no column %q in the query's result (%s)", col, strings.Join(cols, ", "))
	}
	ci, err := idx(cidrCol)
	if err != nil {
		return nil, err
	}
	vi := -1
	if valueCol != "" {
		if vi, err = idx(valueCol); err != nil {
			return nil, err
		}
	}
	t := NewTable()
	for _, row := range res.Rows {
		ps, err := parseRange(strings.TrimSpace(fmt.Sprint(row[ci])))
		if err != nil {
			return nil, err
		}
		v := "1"
		if vi >= 0 {
			v = fmt.Sprint(row[vi])
		}
		for _, p := range ps {
			t.Add(p, v, false)
		}
	}
	return t, nil
}

func lookup(a luahost.Args) *cidr {
	name := a.String(1)
	var c *cidr
	if luahost.Building(a.L) {
		p := pendingOf(a.L)
		p.mu.Lock()
		c = p.byName[name]
		p.mu.Unlock()
	}
	if c == nil {
		r := registryOf(a.L)
		r.mu.Lock()
		c = r.byName[name]
		r.mu.Unlock()
	}
	if c == nil {
		a.Raise("msys.cidr: no CIDR named '%s' (define it in init)", name)
	}
	return c
}

// msys.cidr.query(name[, address]) → the value of the longest network that
// holds address (default: the session's client): a string, or true for a
// datasource CIDR without a value column; the default value when nothing
// matches.
func query(a luahost.Args) int {
	c := lookup(a)
	var ip netip.Addr
	if a.IsNone(2) {
		var ok bool
		if ip, ok = core.Peer(a.L); !ok {
			a.Raise("msys.cidr.query: no address given and no session to take the client address from")
		}
	} else {
		var ok bool
		if ip, ok = core.ParseIP(a.String(2)); !ok {
			a.Error(2, "IP address expected, got '"+a.String(2)+"'")
		}
	}
	c.mu.RLock()
	v, ok := c.table.Lookup(ip)
	c.mu.RUnlock()
	if !ok {
		return a.Push(c.def)
	}
	if c.kind == "datasource" && v == "1" {
		return a.Push(lua.LTrue)
	}
	if c.interpolate {
		v = strings.ReplaceAll(v, "$", ip.String())
	}
	return a.Push(lua.LString(v))
}

// msys.cidr.reload(name): reads the table's source again now; an error
// keeps the data it had.
func reload(a luahost.Args) int {
	c := lookup(a)
	if luahost.Quiet(a.L) {
		return 0
	}
	if err := c.reload(a.L.Context()); err != nil {
		a.Raise("msys.cidr.reload(%q): %v", c.name, err)
	}
	return 0
}
