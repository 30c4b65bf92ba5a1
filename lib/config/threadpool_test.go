package config

import "testing"

func TestThreadPools(t *testing.T) {
	c, err := Parse("t.conf", []byte(`ThreadPool "IO" { Concurrency = 8 }
threadpool "ldap" {
  concurrency = 3
  Stack_Size = 65536
}
ThreadPool "quiet" { Backlog = 10 }
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(false); err != nil {
		t.Fatalf("threadpool scopes must pass the registry check: %v", err)
	}
	pools, err := c.ThreadPools()
	if err != nil {
		t.Fatal(err)
	}
	if len(pools) != 2 || pools["IO"] != 8 || pools["ldap"] != 3 {
		t.Fatalf("pools = %v", pools)
	}
	c, _ = Parse("bad.conf", []byte(`ThreadPool "x" { Concurrency = lots }`))
	if _, err := c.ThreadPools(); err == nil {
		t.Fatal("a non-number concurrency must be an error")
	}
}

func TestInboundAudit(t *testing.T) {
	c, err := Parse("t.conf", []byte(`inbound_audit { monitors = ( "300,6" "1800,4" ) }`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(false); err != nil {
		t.Fatal(err)
	}
	m, ok := c.InboundAudit()
	if !ok || len(m) != 2 || m[0] != "300,6" || m[1] != "1800,4" {
		t.Fatalf("monitors %v, %v", m, ok)
	}
	c, _ = Parse("none.conf", []byte(`Max_Outbound_Connections = 3`))
	if _, ok := c.InboundAudit(); ok {
		t.Fatal("no inbound_audit scope")
	}
}
