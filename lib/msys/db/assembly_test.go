package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"msyshost/lib/config"
	"msyshost/lib/process"
)

// TestAssembly: the process the daemon and the scenario runner build gives
// scripts the datasources of its config, with files under its data
// directory, and msys.dnsLookup the resolver its Resolv_Conf names.
func TestAssembly(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-resolv.conf")
	cfg, err := config.Parse("assembly.conf", []byte(`
Resolv_Conf = "`+missing+`"
datasource "ecdb" { uri = ( "sqlite:policy.db" ) }
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := process.Build(ctx, process.Options{Mode: process.Scenario, Config: cfg, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	err = p.Host.Run(ctx, "assembly", `
assert(msys.db.execute("ecdb", "CREATE TABLE t(v TEXT)"))
assert(msys.db.execute("ecdb", "INSERT INTO t VALUES ('kept')"))
assert(msys.db.fetch_row("ecdb", "SELECT v FROM t").v == "kept")
local r, err = msys.dnsLookup("example.com", "A")
error("dns: " .. tostring(err))`)
	if err == nil || !strings.Contains(err.Error(), "no-resolv.conf") {
		t.Errorf("msys.dnsLookup must use the Resolv_Conf of the config: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "policy.db")); err != nil {
		t.Errorf("the datasource's file must be under the data directory: %v", err)
	}
}
