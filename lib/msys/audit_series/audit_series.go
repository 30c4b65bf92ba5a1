// Package audit_series is the Lua module msys.audit_series: counts kept in
// time windows per key (an IP address of a CIDR series, or a string), and
// summed over windows and, for CIDR series, over a network. The series are
// the host's, shared by every Lua state.
package audit_series

import (
	"net/netip"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.audit_series", Open: open, Notes: map[string]string{
		"msys.audit_series.define": "serialize, replicate and persist are accepted; series live in memory",
	}})
}

// kind of a series.
type kind int

const (
	kindCIDR kind = iota
	kindCIDR6
	kindString
)

// series counts per key in num windows of interval seconds each; window 0
// is the current one.
type series struct {
	mu       sync.Mutex
	kind     kind
	interval int64 // seconds
	windows  int
	keys     map[string]*ring
}

// ring holds a key's counts: counts[i] is for the window that started at
// epoch (in intervals) minus i, as of epoch.
type ring struct {
	epoch  int64
	counts []int64
}

// advance moves r to epoch, dropping windows that fell off the end.
func (r *ring) advance(epoch int64) {
	shift := epoch - r.epoch
	if shift <= 0 {
		return
	}
	n := int64(len(r.counts))
	if shift >= n {
		clear(r.counts)
	} else {
		copy(r.counts[shift:], r.counts[:n-shift])
		clear(r.counts[:shift])
	}
	r.epoch = epoch
}

type registry struct {
	mu     sync.RWMutex
	byName map[string]*series
}

type regKey struct{}

func registryOf(L *lua.LState) *registry {
	return luahost.HostShared(L, regKey{}, func() *registry { return &registry{byName: map[string]*series{}} })
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"define":      luahost.Func("define", define),
		"add":         luahost.Func("add", add),
		"count":       luahost.Func("count", count),
		"remove_item": luahost.Func("remove_item", removeItem),
	})
	return t
}

// msys.audit_series.define(name, type, interval, num_windows[, options]):
// type is "cidr" (IPv4), "cidr_ipv6" or "string". Defining an existing
// series again with the same shape keeps its counts (a reload runs init
// again); another shape starts it afresh.
func define(a luahost.Args) int {
	name := a.String(1)
	k := kind(a.Option(2, "", "cidr", "cidr_ipv6", "string"))
	interval := a.Integer(3)
	windows := a.Int(4)
	if interval < 1 {
		a.Error(3, "interval of at least one second expected")
	}
	if windows < 1 {
		a.Error(4, "at least one window expected")
	}
	a.OptTable(5)
	r := registryOf(a.L)
	r.mu.Lock()
	s := r.byName[name]
	if s == nil || s.kind != k || s.interval != interval || s.windows != windows {
		s = &series{kind: k, interval: interval, windows: windows, keys: map[string]*ring{}}
	}
	if !luahost.Building(a.L) {
		r.byName[name] = s
		r.mu.Unlock()
		return 0
	}
	r.mu.Unlock()
	// While the scripts load, the series is the generation's own until it
	// serves: a reload that is refused leaves the serving one as it was.
	p := pendingOf(a.L)
	p.mu.Lock()
	p.byName[name] = s
	p.mu.Unlock()
	luahost.OnServe(a.L, func() {
		r.mu.Lock()
		r.byName[name] = s
		r.mu.Unlock()
	})
	return 0
}

type pendingKey struct{}

// pendingOf is the series a generation defined while it is built.
func pendingOf(L *lua.LState) *registry {
	return luahost.GenerationLocal(L, pendingKey{}, func() *registry { return &registry{byName: map[string]*series{}} })
}

func lookup(a luahost.Args) *series {
	name := a.String(1)
	var s *series
	if luahost.Building(a.L) {
		p := pendingOf(a.L)
		p.mu.RLock()
		s = p.byName[name]
		p.mu.RUnlock()
	}
	if s == nil {
		r := registryOf(a.L)
		r.mu.RLock()
		s = r.byName[name]
		r.mu.RUnlock()
	}
	if s == nil {
		a.Raise("msys.audit_series: no series named '%s' (define it in init)", name)
	}
	return s
}

// options returns argument 2 as an options table; a non-table is the key.
func options(a luahost.Args) (*lua.LTable, lua.LValue) {
	switch v := a.Get(2).(type) {
	case *lua.LTable:
		return v, v.RawGetString("key")
	case *lua.LNilType:
		return nil, lua.LNil
	default:
		return nil, v
	}
}

// addrKey reads a CIDR series key: an address, an accept construct, or
// nothing for the session's client.
func (s *series) addrKey(a luahost.Args, v lua.LValue) netip.Addr {
	var ip netip.Addr
	var ok bool
	if ac := core.AcceptClass.To(v); ac != nil {
		ip, ok = core.ParseIP(ac.RemoteAddr)
	} else if v == lua.LNil {
		ip, ok = core.Peer(a.L)
		if !ok {
			a.Raise("msys.audit_series: no key given and no session to take the client address from")
		}
	} else {
		str, _ := luahost.ToString(v)
		ip, ok = core.ParseIP(str)
	}
	if !ok {
		a.Raise("msys.audit_series: key %s is not an IP address", v.String())
	}
	if s.kind == kindCIDR && !ip.Is4() || s.kind == kindCIDR6 && !ip.Is6() {
		a.Raise("msys.audit_series: %s does not fit a %s series", ip, map[kind]string{kindCIDR: "cidr (IPv4)", kindCIDR6: "cidr_ipv6"}[s.kind])
	}
	return ip
}

func (s *series) epoch(a luahost.Args) int64 { return luahost.Now(a.L).Unix() / s.interval }

// msys.audit_series.add(name[, options]): adds options.count (default 1)
// to the current window of options.key; options may be the key itself.
func add(a luahost.Args) int {
	s := lookup(a)
	opts, keyv := options(a)
	n := int64(1)
	if opts != nil {
		if c, ok := luahost.ToNumber(opts.RawGetString("count")); ok {
			n = int64(c)
		}
	}
	key := s.key(a, keyv)
	if luahost.Quiet(a.L) {
		return 0
	}
	now := s.epoch(a)
	s.mu.Lock()
	r := s.keys[key]
	if r == nil {
		r = &ring{epoch: now, counts: make([]int64, s.windows)}
		s.keys[key] = r
	}
	r.advance(now)
	r.counts[0] += n
	s.mu.Unlock()
	return 0
}

func (s *series) key(a luahost.Args, v lua.LValue) string {
	if s.kind == kindString {
		str, ok := luahost.ToString(v)
		if !ok {
			a.Raise("msys.audit_series: a string series needs a key")
		}
		return str
	}
	return s.addrKey(a, v).String()
}

// msys.audit_series.count(name[, options]) → the sum over windows
// options.startv..options.endv (both default 0, the current window) of
// options.key: a string, an address, a network "ip/bits", an accept
// construct, or "/bits" or nothing for the session's client.
func count(a luahost.Args) int {
	s := lookup(a)
	opts, keyv := options(a)
	start, end := 0, 0
	if opts != nil {
		if v, ok := luahost.ToNumber(opts.RawGetString("startv")); ok {
			start = int(v)
		}
		if v, ok := luahost.ToNumber(opts.RawGetString("endv")); ok {
			end = int(v)
		}
	}
	if start > end {
		start, end = end, start
	}
	match := s.matcher(a, keyv)
	now := s.epoch(a)
	var total int64
	s.mu.Lock()
	for k, r := range s.keys {
		if !match(k) {
			continue
		}
		r.advance(now)
		for w := max(start, 0); w <= end && w < len(r.counts); w++ {
			total += r.counts[w]
		}
	}
	s.mu.Unlock()
	return a.Push(lua.LNumber(total))
}

// matcher returns which keys a count covers.
func (s *series) matcher(a luahost.Args, v lua.LValue) func(string) bool {
	if s.kind == kindString {
		key := s.key(a, v)
		return func(k string) bool { return k == key }
	}
	if str, ok := v.(lua.LString); ok && strings.Contains(string(str), "/") {
		addr, bits, _ := strings.Cut(string(str), "/")
		var ip netip.Addr
		if addr == "" {
			ip = s.addrKey(a, lua.LNil)
		} else {
			ip = s.addrKey(a, lua.LString(addr))
		}
		p, err := ip.Prefix(atoi(bits))
		if err != nil {
			a.Raise("msys.audit_series: bad network %s: %v", str, err)
		}
		return func(k string) bool {
			ip, err := netip.ParseAddr(k)
			return err == nil && p.Contains(ip)
		}
	}
	key := s.addrKey(a, v).String()
	return func(k string) bool { return k == key }
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// msys.audit_series.remove_item(name[, key]): forgets a key's counts.
func removeItem(a luahost.Args) int {
	s := lookup(a)
	key := s.key(a, a.Get(2))
	if luahost.Quiet(a.L) {
		return 0
	}
	s.mu.Lock()
	delete(s.keys, key)
	s.mu.Unlock()
	return 0
}
