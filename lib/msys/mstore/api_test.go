package mstore_test

import (
	"path/filepath"
	"testing"

	"msyshost/lib/mstore/embedded"
	"msyshost/lib/spool"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

func TestLua(t *testing.T) {
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := &spool.Recorder{}
	luatest.Run(t, "api_test.lua", &luahost.Services{Store: st, Injector: rec})
	injected, _ := rec.Take()
	if len(injected) != 1 || injected[0].Context["marker"] != "injected-once" {
		t.Fatalf("msys.mstore.inject must hand the message to the spool; got %+v", injected)
	}
}
