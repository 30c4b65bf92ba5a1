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

// Mstore returns the message store settings, defaults filled in. A config
// without an mstore scope gets the defaults: the embedded store.
func (c *Config) Mstore() (Mstore, error) {
	m := Mstore{Retention: 14 * 24 * time.Hour, Path: "mstore.db", Timeout: 5 * time.Second,
		ConnectTimeout: 2 * time.Second, TransferRate: 1 << 20}
	scopes := c.root.Scopes("mstore")
	if len(scopes) == 0 {
		return m, nil
	}
	if len(scopes) > 1 {
		return m, errorf(scopes[1].Pos, "mstore is a singleton: a second mstore scope (the first is at %s)", scopes[0].Pos)
	}
	n := scopes[0]
	if n.Named {
		return m, errorf(n.Pos, "mstore is a singleton and takes no instance name, found %q", n.Name)
	}
	if len(n.Children) > 0 {
		return m, errorf(n.Children[0].Pos, "unexpected scope %s in mstore", n.Children[0].title())
	}
	for _, o := range n.Options {
		v := o.Value
		var err error
		switch strings.ToLower(o.Name) {
		case "servers":
			m.Servers, err = riakServers(v)
		case "retention":
			m.Retention, err = v.Duration()
			if err == nil && m.Retention <= 0 {
				err = v.errorf("must be longer than 0")
			}
		case "path":
			m.Path, err = v.scalar("a file path")
			if err == nil && m.Path == "" {
				err = v.errorf("must not be empty")
			}
		case "timeout":
			m.Timeout, err = v.Duration()
			if err == nil && m.Timeout <= 0 {
				err = v.errorf("must be longer than 0")
			}
		case "connect_timeout":
			m.ConnectTimeout, err = v.Duration()
			if err == nil && m.ConnectTimeout <= 0 {
				err = v.errorf("must be longer than 0")
			}
		case "transfer_rate":
			m.TransferRate, err = byteRate(v)
		case "enabled":
			_, err = v.Bool()
		case "debug_level":
		default:
			err = errorf(o.Pos, "unknown mstore option %q (known: servers, retention, path, timeout, connect_timeout, transfer_rate)", o.Name)
		}
		if err != nil {
			return m, err
		}
	}
	return m, nil
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
