package cidr_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"msyshost/lib/config"
	"msyshost/lib/msys/cidr"
	"msyshost/lib/msys/datasource"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "modernc.org/sqlite"

	_ "msyshost/lib/msys"
)

const rbl = `# a test zone
$TTL 3600
:127.0.0.2:Listed: see http://example.com/?ip=$
192.0.2.0/24
198.51.100.7 :127.0.0.4:Spam source $
!192.0.2.128/25
203.0.113.10-203.0.113.13
10.1.2
2001:db8::/32 :127.0.0.5:IPv6 spammer
`

func TestLua(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "zone.rbl"), []byte(rbl), 0o644)
	t.Setenv("MSYSHOST_TEST_DIR", dir)
	db, err := sql.Open("sqlite", filepath.Join(dir, "nets.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE nets(net TEXT, verdict TEXT);
INSERT INTO nets VALUES ('192.0.2.0/24', 'block'), ('192.0.2.5', 'allow')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cfg, err := config.Parse("t.conf", []byte(`datasource "mydb" { uri = ( "sqlite:nets.db" ) }`))
	if err != nil {
		t.Fatal(err)
	}
	pool := datasource.NewPool(func() *config.Config { return cfg }, dir, nil, nil)
	defer pool.Close()
	luatest.Run(t, "api_test.lua", datasource.Datasources.Set(&luahost.Services{}, pool))
}

func FuzzParseRBLDNSD(f *testing.F) {
	for _, s := range []string{rbl, "1.2.3.4-20", "!10\n:1.2.3.4", "::1 :x", "1.2.3.4:127.0.0.3:t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := cidr.ParseRBLDNSD(strings.NewReader(s), "a")
		if err == nil && tab == nil {
			t.Fatal("no table and no error")
		}
	})
}
