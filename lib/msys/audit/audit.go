// Package audit is the Lua module msys.audit, over an Auditor: the
// inbound_audit module's counts of connections, receptions and rejections
// per client address in time windows ("monitors"), and the sessions open
// now per service. The SMTP listener records into the Auditor; scripts
// read it. Without an Auditor (no inbound_audit configured), the functions
// raise an error, as Momentum's do.
package audit

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

// Event is what an Auditor counts.
type Event int

const (
	Connection Event = iota
	Reception
	Rejection
)

// Monitor is one "window-size,number-of-windows" of inbound_audit.
type Monitor struct {
	Window  time.Duration
	Windows int
}

// ParseMonitor reads "300,6".
func ParseMonitor(s string) (Monitor, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), ",")
	w, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || w < 1 || n < 1 {
		return Monitor{}, fmt.Errorf("monitor %q: expected \"window-seconds,number-of-windows\"", s)
	}
	return Monitor{Window: time.Duration(w) * time.Second, Windows: n}, nil
}

func (m Monitor) String() string { return fmt.Sprintf("%d,%d", int(m.Window/time.Second), m.Windows) }

// Auditor keeps the counts. It is safe for concurrent use.
type Auditor struct {
	now      func() time.Time
	mu       sync.Mutex
	monitors map[string]*monitor
	sessions map[string]map[netip.Addr]int // service → client → open sessions
}

type monitor struct {
	Monitor
	counts map[netip.Addr]*[3][]int64 // per event, counts[w] for window epoch-w
	epoch  map[netip.Addr]int64
}

// NewAuditor returns an auditor keeping the monitors, on clock now.
func NewAuditor(now func() time.Time, monitors ...Monitor) *Auditor {
	a := &Auditor{now: now, monitors: map[string]*monitor{}, sessions: map[string]map[netip.Addr]int{}}
	for _, m := range monitors {
		a.monitors[m.String()] = &monitor{Monitor: m, counts: map[netip.Addr]*[3][]int64{}, epoch: map[netip.Addr]int64{}}
	}
	return a
}

// Record counts an event of client in every monitor.
func (a *Auditor) Record(ev Event, client netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range a.monitors {
		c := m.advance(client, a.now())
		c[ev][0]++
	}
}

// advance returns client's counts moved to the current window.
func (m *monitor) advance(client netip.Addr, now time.Time) *[3][]int64 {
	e := now.Unix() / int64(m.Window/time.Second)
	c := m.counts[client]
	if c == nil {
		c = &[3][]int64{make([]int64, m.Windows), make([]int64, m.Windows), make([]int64, m.Windows)}
		m.counts[client] = c
		m.epoch[client] = e
	}
	shift := e - m.epoch[client]
	if shift > 0 {
		for ev := range c {
			w := c[ev]
			if shift >= int64(len(w)) {
				clear(w)
			} else {
				copy(w[shift:], w[:int64(len(w))-shift])
				clear(w[:shift])
			}
		}
		m.epoch[client] = e
	}
	return c
}

// Count sums ev for clients in prefix over windows start..end of monitor.
func (a *Auditor) Count(ev Event, monitor string, prefix netip.Prefix, start, end int) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.monitors[monitor]
	if m == nil {
		return 0, fmt.Errorf("no inbound_audit monitor %q", monitor)
	}
	var n int64
	now := a.now()
	for client := range m.counts {
		if !prefix.Contains(client) {
			continue
		}
		c := m.advance(client, now)
		for w := max(start, 0); w <= end && w < m.Windows; w++ {
			n += c[ev][w]
		}
	}
	return n, nil
}

// SessionOpened and SessionClosed track the sessions open now per service
// ("SMTP", "Control", ...).
func (a *Auditor) SessionOpened(service string, client netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sessions[service] == nil {
		a.sessions[service] = map[netip.Addr]int{}
	}
	a.sessions[service][client]++
}

func (a *Auditor) SessionClosed(service string, client netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.sessions[service]; s[client] > 1 {
		s[client]--
	} else {
		delete(s, client)
	}
}

// Sessions counts the open sessions of service from clients in prefix.
func (a *Auditor) Sessions(service string, prefix netip.Prefix) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for c, k := range a.sessions[service] {
		if prefix.Contains(c) {
			n += k
		}
	}
	return n
}

// Source is the auditor msys.audit and ac:inbound_session_count read.
var Source = luahost.NewService[*Auditor]("inbound audit")

func init() {
	luahost.Register(luahost.Binding{Name: "msys.audit", Open: open, Notes: map[string]string{
		"msys.audit.connections": "cluster-wide counts are this node's",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"connections":           luahost.Func("connections", func(a luahost.Args) int { return count(a, Connection) }),
		"receptions":            luahost.Func("receptions", func(a luahost.Args) int { return count(a, Reception) }),
		"rejections":            luahost.Func("rejections", func(a luahost.Args) int { return count(a, Rejection) }),
		"inbound_session_count": luahost.Func("inbound_session_count", func(a luahost.Args) int { return Sessions(a, 1, netip.Addr{}) }),
	})
	return t
}

// Of returns the host's auditor or raises the error Momentum raises when
// inbound_audit is not configured.
func Of(a luahost.Args) *Auditor {
	au, ok := Source.Get(a.L)
	if !ok || au == nil {
		a.Raise("%s: the inbound_audit module is not configured (inbound_audit { monitors = (\"300,6\") })", a.Name)
	}
	return au
}

// Prefix reads a CIDR argument as Momentum's audit functions do: "/24" is
// the session's client with that mask, "addr/mask" a network, "addr" one
// address, nothing the session's client.
func Prefix(a luahost.Args, v lua.LValue, client netip.Addr) netip.Prefix {
	s, _ := luahost.ToString(v)
	addr, bits, hasBits := strings.Cut(strings.TrimSpace(s), "/")
	ip := client
	if addr == "" && !ip.IsValid() {
		var ok bool
		if ip, ok = core.Peer(a.L); !ok {
			a.Raise("%s: no address given and no session to take the client address from", a.Name)
		}
	} else if addr == "" {
	} else if p, ok := core.ParseIP(addr); ok {
		ip = p
	} else if addr == "localhost" {
		ip = netip.MustParseAddr("127.0.0.1")
	} else {
		a.Raise("%s: %q is not an address", a.Name, addr)
	}
	n := ip.BitLen()
	if hasBits {
		var err error
		if n, err = strconv.Atoi(bits); err != nil {
			a.Raise("%s: bad mask in %q", a.Name, s)
		}
	}
	p, err := ip.Prefix(n)
	if err != nil {
		a.Raise("%s: %v", a.Name, err)
	}
	return p
}

// msys.audit.connections(monitor[, options]), receptions, rejections → the
// count for options.cidr (default: the session's client) over windows
// options.startv..options.endv of the monitor ("300,6"); options may be
// the cidr itself.
func count(a luahost.Args, ev Event) int {
	au := Of(a)
	mon := a.String(1)
	var cidr lua.LValue = lua.LNil
	start, end := 0, 0
	switch o := a.Get(2).(type) {
	case *lua.LTable:
		cidr = o.RawGetString("cidr")
		if v, ok := luahost.ToNumber(o.RawGetString("startv")); ok {
			start = int(v)
		}
		if v, ok := luahost.ToNumber(o.RawGetString("endv")); ok {
			end = int(v)
		}
	case *lua.LNilType:
	default:
		cidr = o
	}
	n, err := au.Count(ev, mon, Prefix(a, cidr, netip.Addr{}), min(start, end), max(start, end))
	if err != nil {
		a.Error(1, err.Error())
	}
	return a.Push(lua.LNumber(n))
}

// Sessions is inbound_session_count(cidr, service) with its arguments from
// n: the sessions of service (default "SMTP") open now from cidr, where
// client (when valid) stands for the session's client.
func Sessions(a luahost.Args, n int, client netip.Addr) int {
	au := Of(a)
	p := Prefix(a, a.Get(n), client)
	service := a.OptString(n+1, "SMTP")
	return a.Push(lua.LNumber(au.Sessions(service, p)))
}
