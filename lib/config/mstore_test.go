package config

import (
	"reflect"
	"testing"
	"time"
)

func TestMstore(t *testing.T) {
	const day = 24 * time.Hour
	defaults := Mstore{Retention: 14 * day, Path: "mstore.db", Timeout: 5 * time.Second, ConnectTimeout: 2 * time.Second, TransferRate: 1 << 20}
	with := func(f func(*Mstore)) Mstore { m := defaults; f(&m); return m }
	tests := []struct {
		name string
		src  string
		want Mstore
		err  string
	}{
		{"no scope: embedded", `alerting { }`, defaults, ""},
		{"empty scope: embedded", `mstore { }`, defaults, ""},
		{"momentum form", `mstore { servers = ("127.0.0.1:8098") }`,
			with(func(m *Mstore) { m.Servers = []RiakServer{{Addr: "127.0.0.1:8098"}} }), ""},
		{"pb, http and names", `MStore { Servers = ( "pb://riak1:8087" riak2:8098 "http://[::1]:8098" ) }`,
			with(func(m *Mstore) {
				m.Servers = []RiakServer{{Addr: "riak1:8087", PB: true}, {Addr: "riak2:8098"}, {Addr: "[::1]:8098"}}
			}), ""},
		{"scalar server", `mstore { servers = "h:8098" }`,
			with(func(m *Mstore) { m.Servers = []RiakServer{{Addr: "h:8098"}} }), ""},
		{"retention days", `mstore { retention = 14d }`, defaults, ""},
		{"retention hours", `mstore { retention = 36h }`, with(func(m *Mstore) { m.Retention = 36 * time.Hour }), ""},
		{"retention minutes", `mstore { retention = 90m }`, with(func(m *Mstore) { m.Retention = 90 * time.Minute }), ""},
		{"retention seconds", `mstore { retention = 3600s }`, with(func(m *Mstore) { m.Retention = time.Hour }), ""},
		{"retention bare", `mstore { retention = 7200 }`, with(func(m *Mstore) { m.Retention = 2 * time.Hour }), ""},
		{"path and timeout", `mstore { path = "/var/lib/msyshost/store.db" timeout = 2s Enabled = true Debug_Level = DEBUG }`,
			with(func(m *Mstore) { m.Path = "/var/lib/msyshost/store.db"; m.Timeout = 2 * time.Second }), ""},
		{"riak time limits", `mstore { timeout = 3s connect_timeout = 500ms transfer_rate = 4M }`,
			with(func(m *Mstore) {
				m.Timeout = 3 * time.Second
				m.ConnectTimeout = 500 * time.Millisecond
				m.TransferRate = 4 << 20
			}), ""},
		{"transfer rate bytes", `mstore { transfer_rate = 250000 }`, with(func(m *Mstore) { m.TransferRate = 250000 }), ""},
		{"transfer rate k", `mstore { transfer_rate = 512k }`, with(func(m *Mstore) { m.TransferRate = 512 << 10 }), ""},
		{"transfer rate MB", `mstore { transfer_rate = 2MB }`, with(func(m *Mstore) { m.TransferRate = 2 << 20 }), ""},

		{"bad server", `mstore { servers = ( "h:1" "nohost" ) }`, Mstore{}, `m.conf:1:10: servers: "nohost" is not host:port or pb://host:port`},
		{"bad port", `mstore { servers = ( "pb://h:99999" ) }`, Mstore{}, `m.conf:1:10: servers: "pb://h:99999" is not host:port or pb://host:port`},
		{"empty host", `mstore { servers = ( ":8098" ) }`, Mstore{}, `m.conf:1:10: servers: ":8098" is not host:port or pb://host:port`},
		{"empty list", `mstore { servers = () }`, Mstore{}, `m.conf:1:10: servers: empty list: leave servers out for the embedded store`},
		{"dict servers", `mstore { servers = [ a = b ] }`, Mstore{}, `m.conf:1:10: servers: expected a list of host:port or pb://host:port, found a dictionary`},
		{"bad retention", `mstore { retention = 2 weeks }`, Mstore{}, `m.conf:1:30: expected '=' or '{' after "weeks", found '}'`},
		{"retention unit", `mstore { retention = 2y }`, Mstore{}, `m.conf:1:10: retention: expected a duration (a whole number with an optional unit ms, s, m, h, d or w; bare numbers are seconds), found "2y"`},
		{"zero retention", `mstore { retention = 0 }`, Mstore{}, `m.conf:1:10: retention: must be longer than 0`},
		{"zero timeout", `mstore { timeout = 0s }`, Mstore{}, `m.conf:1:10: timeout: must be longer than 0`},
		{"zero connect timeout", `mstore { connect_timeout = 0 }`, Mstore{}, `m.conf:1:10: connect_timeout: must be longer than 0`},
		{"zero transfer rate", `mstore { transfer_rate = 0M }`, Mstore{}, `m.conf:1:10: transfer_rate: must be more than 0`},
		{"transfer rate unit", `mstore { transfer_rate = 4Mbit }`, Mstore{}, `m.conf:1:10: transfer_rate: expected a rate in bytes per second (a whole number with an optional unit K, M or G), found "4Mbit"`},
		{"transfer rate range", `mstore { transfer_rate = 4096G }`, Mstore{}, `m.conf:1:10: transfer_rate: rate "4096G" is out of range`},
		{"transfer rate list", `mstore { transfer_rate = ( 1 ) }`, Mstore{}, `m.conf:1:10: transfer_rate: expected a rate in bytes per second (a whole number with an optional unit K, M or G), found a list`},
		{"empty path", `mstore { path = "" }`, Mstore{}, `m.conf:1:10: path: must not be empty`},
		{"list path", `mstore { path = ( a ) }`, Mstore{}, `m.conf:1:10: path: expected a file path, found a list`},
		{"named", `mstore "riak" { }`, Mstore{}, `m.conf:1:1: mstore is a singleton and takes no instance name, found "riak"`},
		{"twice", "mstore { }\nmstore { }", Mstore{}, `m.conf:2:1: mstore is a singleton: a second mstore scope (the first is at m.conf:1:1)`},
		{"nested scope", `mstore { riak { } }`, Mstore{}, `m.conf:1:10: unexpected scope riak in mstore`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("m.conf", []byte(tt.src))
			if err == nil {
				var m Mstore
				m, err = c.Mstore()
				if err == nil {
					if tt.err != "" {
						t.Fatalf("got %+v, want error %q", m, tt.err)
					}
					if !reflect.DeepEqual(m, tt.want) {
						t.Errorf("got  %+v\nwant %+v", m, tt.want)
					}
					if m.Embedded() != (len(tt.want.Servers) == 0) {
						t.Errorf("Embedded() = %v", m.Embedded())
					}
					return
				}
			}
			if err.Error() != tt.err {
				t.Errorf("error %q\nwant  %q", err, tt.err)
			}
		})
	}
}

func TestRiakServerString(t *testing.T) {
	if got := (RiakServer{Addr: "h:8087", PB: true}).String(); got != "pb://h:8087" {
		t.Errorf("got %q", got)
	}
	if got := (RiakServer{Addr: "h:8098"}).String(); got != "h:8098" {
		t.Errorf("got %q", got)
	}
}
