package config

import (
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// Mstore is the `mstore { }` singleton: where the retry feature keeps
// messages. Without a servers option msyshost uses its embedded store, unlike
// Momentum, whose only store is Riak at ("127.0.0.1:8098").
//
// The Riak time limits (riak.Options Timeout, ConnectTimeout, TransferRate)
// are: connect_timeout for connecting to a server (default 2s); timeout for
// a server to start answering once a request went out (default 5s); and
// transfer_rate, the slowest rate in bytes per second a record may move at
// (default 1M, i.e. 1 MiB/s), which gives a transfer of n bytes n/rate on
// top of timeout, so a large record does not time out on a healthy server.
type Mstore struct {
	Servers        []RiakServer  // servers; empty means the embedded store
	Retention      time.Duration // retention, default 14 days
	Path           string        // path of the embedded store; relative paths are under the data directory
	Timeout        time.Duration // wait for a Riak server's answer to start, default 5s
	ConnectTimeout time.Duration // connecting to a Riak server, default 2s
	TransferRate   int           // slowest transfer allowed, bytes per second, default 1 MiB/s
}

// RiakServer is one entry of mstore's servers list: "host:port" speaks Riak's
// HTTP API (Momentum's form), "pb://host:port" its Protocol Buffers API.
type RiakServer struct {
	Addr string // host:port
	PB   bool
}

func (s RiakServer) String() string {
	if s.PB {
		return "pb://" + s.Addr
	}
	return s.Addr
}

// Embedded reports whether the embedded store is configured rather than Riak.
func (m Mstore) Embedded() bool { return len(m.Servers) == 0 }

// The mstore scope's options, declared once: their defaults are read from
// here.
var (
	mstoreServers = Declare(OptionSpec{Name: "servers", Scopes: []string{"mstore"}, Type: ListType,
		Help: "Riak servers: \"host:8098\" (HTTP) or \"pb://host:8087\" (Protocol Buffers); without it the embedded store"})
	mstoreRetention = Declare(OptionSpec{Name: "retention", Scopes: []string{"mstore"}, Type: DurationType, Default: "14d",
		Help: "msyshost's own: how long a stored message is kept when no receipt removes it"})
	mstorePath = Declare(OptionSpec{Name: "path", Scopes: []string{"mstore"}, Type: StringType, Default: "mstore.db",
		Help: "msyshost's own: the embedded store's file, relative to Data_Directory"})
	mstoreTimeout = Declare(OptionSpec{Name: "timeout", Scopes: []string{"mstore"}, Type: DurationType, Default: "5",
		Help: "msyshost's own: how long a Riak server may take to start answering a request"})
	mstoreConnectTimeout = Declare(OptionSpec{Name: "connect_timeout", Scopes: []string{"mstore"}, Type: DurationType, Default: "2",
		Help: "msyshost's own: time limit of connecting to a Riak server"})
	mstoreTransferRate = Declare(OptionSpec{Name: "transfer_rate", Scopes: []string{"mstore"}, Type: StringType, Default: "1M",
		Help: "msyshost's own: the slowest rate a record may move at, bytes/s with K, M, G (1024-based); a record of n bytes gets n/rate beyond timeout"})
)

// Mstore returns the message store settings, defaults (the declarations
// above) filled in. A config without an mstore scope gets the defaults:
// the embedded store.
func (c *Config) Mstore() (Mstore, error) {
	scopes := c.root.Scopes("mstore")
	var n *Node
	switch {
	case len(scopes) > 1:
		return Mstore{}, errorf(scopes[1].Pos, "mstore is a singleton: a second mstore scope (the first is at %s)", scopes[0].Pos)
	case len(scopes) == 1:
		n = scopes[0]
		if n.Named {
			return Mstore{}, errorf(n.Pos, "mstore is a singleton and takes no instance name, found %q", n.Name)
		}
		if len(n.Children) > 0 {
			return Mstore{}, errorf(n.Children[0].Pos, "unexpected scope %s in mstore", n.Children[0].title())
		}
	}
	var m Mstore
	var errs []error
	positive := func(spec *OptionSpec) time.Duration {
		v, _ := spec.In(n)
		d, err := v.Duration()
		if err == nil && d <= 0 {
			err = v.errorf("must be longer than 0")
		}
		if err != nil {
			errs = append(errs, err)
		}
		return d
	}
	if v, ok := mstoreServers.In(n); ok {
		var err error
		if m.Servers, err = riakServers(v); err != nil {
			errs = append(errs, err)
		}
	}
	m.Retention = positive(mstoreRetention)
	m.Timeout = positive(mstoreTimeout)
	m.ConnectTimeout = positive(mstoreConnectTimeout)
	v, _ := mstorePath.In(n)
	switch path, err := v.scalar("a file path"); {
	case err != nil:
		errs = append(errs, err)
	case path == "":
		errs = append(errs, v.errorf("must not be empty"))
	default:
		m.Path = path
	}
	v, _ = mstoreTransferRate.In(n)
	var err error
	if m.TransferRate, err = byteRate(v); err != nil {
		errs = append(errs, err)
	}
	return m, joinProblems(errs)
}

func riakServers(v Value) ([]RiakServer, error) {
	if v.Kind() == Dict {
		return nil, v.errorf("expected a list of host:port or pb://host:port, found a dictionary")
	}
	items := v.List()
	if len(items) == 0 {
		return nil, v.errorf("empty list: leave servers out for the embedded store")
	}
	out := make([]RiakServer, 0, len(items))
	for _, it := range items {
		s := RiakServer{Addr: it}
		if rest, ok := strings.CutPrefix(it, "pb://"); ok {
			s = RiakServer{Addr: rest, PB: true}
		} else if rest, ok := strings.CutPrefix(it, "http://"); ok {
			s.Addr = rest
		}
		host, port, err := net.SplitHostPort(s.Addr)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return nil, v.errorf("%q is not host:port or pb://host:port", it)
		}
		out = append(out, s)
	}
	return out, nil
}

var rateUnits = map[string]int64{"": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30}

// byteRate reads a rate in bytes per second: a whole number, more than 0,
// with an optional unit K, M or G, or KB, MB or GB, binary as Riak's own
// sizes are (1K is 1024 bytes), as in `transfer_rate = 4M`.
func byteRate(v Value) (int, error) {
	const want = "a rate in bytes per second (a whole number with an optional unit K, M or G)"
	s, err := v.scalar(want)
	if err != nil {
		return 0, err
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	unit, ok := rateUnits[strings.ToLower(s[i:])]
	if i == 0 || !ok {
		return 0, v.errorf("expected %s, found %q", want, s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > math.MaxInt32/unit {
		return 0, v.errorf("rate %q is out of range", s)
	}
	if n == 0 {
		return 0, v.errorf("must be more than 0")
	}
	return int(n * unit), nil
}
