package tls_params_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"msyshost/lib/msys/tls_params"
	"msyshost/luahost"

	_ "msyshost/lib/msys"
)

// The hook changes the params the SMTP client passes it.
func TestHookSetsParams(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tls.lua")
	os.WriteFile(p, []byte(`require("msys.tls_params")
local mod = {}
function mod:core_get_outbound_tls_parameters(msg, params)
  params.use_tls = 2
  msys.tls_params.set(params, "certfile", "/etc/certs/client.pem")
  msys.tls_params.set(params, "KeyFile", "/etc/certs/client.key")
  local ok, err = pcall(msys.tls_params.set, params, "password", "x")
  if ok or not string.find(err, "bad argument #2 to '?' (certfile, keyfile, cipherlist or ca expected", 1, true) then error(err) end
  ok, err = pcall(function() params.use_tls = 7 end)
  if ok then error("use_tls 7 accepted") end
  return 0
end
msys.registerModule("tls", mod)`), 0o644)
	h := luahost.New(luahost.Options{PoolSize: 1}, nil)
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "tls", Path: p}}); err != nil {
		t.Fatal(err)
	}
	params := &tls_params.Params{UseTLS: 1, CA: "/etc/ca.pem"}
	res := h.Call(context.Background(), "core_get_outbound_tls_parameters", nil, params)
	if res.Calls[0].Err != "" {
		t.Fatal(res.Calls[0].Err)
	}
	if *params != (tls_params.Params{UseTLS: 2, CertFile: "/etc/certs/client.pem", KeyFile: "/etc/certs/client.key", CA: "/etc/ca.pem"}) {
		t.Fatalf("params %+v", params)
	}
}
