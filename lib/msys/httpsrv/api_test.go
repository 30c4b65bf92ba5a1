package httpsrv_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"msyshost/lib/msys/httpsrv"
	"msyshost/luahost"

	_ "msyshost/lib/msys"
)

func TestEndpoints(t *testing.T) {
	p := filepath.Join(t.TempDir(), "web.lua")
	os.WriteFile(p, []byte(`require("msys.extended.httpsrv")
local mod = {}
local hits = 0
local function hello(session)
  hits = hits + 1
  local u = session:request_url_get()
  local params = {}
  if u.attrs ~= nil then
    local it = msys.core.dict_iter2(u.attrs)
    repeat
      local rc, k, v = msys.core.dict_next(u.attrs, it)
      if rc != 0 then params[#params + 1] = k .. "=" .. v end
    until rc == 0
    msys.core.dict_iter2_free(u.attrs, it)
  end
  session:response_status_set_std(200, u.url .. " says hello #" .. hits .. " " .. table.concat(params, " "), "text/plain")
end
local function default(session) return msys.httpsrv.DONE end
local function broken(session) error("no such record") end
function mod:rsrc_setup()
  msys.httpsrv.register("GET", "/hello/", hello)
  msys.httpsrv.register(nil, "/any", default)
  msys.httpsrv.register("POST", "/broken", broken)
  return true
end
function mod:smpp_handle_DR_positive() return 0 end
msys.registerModule("web", mod)`), 0o644)
	svc := &luahost.Services{}
	h := luahost.New(luahost.Options{PoolSize: 2}, svc)
	if err := h.Load(context.Background(), []luahost.Script{{Name: "web", Path: p}}); err != nil {
		t.Fatal(err)
	}
	reg, _ := httpsrv.Endpoints.From(svc)
	if got := strings.Join(reg.Paths(), ","); got != "* /any,GET /hello,POST /broken" {
		t.Fatalf("paths %q", got)
	}
	srv := httptest.NewServer(reg)
	defer srv.Close()
	get := func(method, path string) (int, string, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("Content-Type")
	}
	if code, body, ct := get("GET", "/hello?b=2&a=1"); code != 200 || body != "/hello?b=2&a=1 says hello #1 a=1 b=2" || ct != "text/plain" {
		t.Errorf("GET /hello: %d %q %q", code, body, ct)
	}
	if code, body, _ := get("GET", "/hello"); code != 200 || !strings.Contains(body, "#2") {
		t.Errorf("the handler's locals persist in its state: %d %q", code, body)
	}
	if code, _, _ := get("POST", "/hello"); code != 404 {
		t.Errorf("another method: %d", code)
	}
	if code, body, _ := get("PUT", "/any"); code != 200 || body != "" {
		t.Errorf("DONE: %d %q", code, body)
	}
	if code, body, _ := get("POST", "/broken"); code != 500 || !strings.Contains(body, "no such record") {
		t.Errorf("failing handler: %d %q", code, body)
	}
	h.Close()
	if code, _, _ := get("GET", "/hello"); code != 404 {
		t.Errorf("a retired generation's endpoints must go: %d", code)
	}
}

// TestRefusedReloadKeepsTheServingEndpoints: a reload whose init returns
// false changes no endpoint; the serving generation's still answers.
func TestRefusedReloadKeepsTheServingEndpoints(t *testing.T) {
	dir := t.TempDir()
	script := func(name, initResult string) string {
		p := filepath.Join(dir, name+".lua")
		os.WriteFile(p, []byte(`local m = {}
msys.httpsrv.register("GET", "/x", function(s)
  s:response_status_set_std(200, "`+name+`", "text/plain")
end)
function m:init() return `+initResult+` end
function m:smpp_handle_DR_positive() return 0 end
msys.registerModule("`+name+`", m)`), 0o644)
		return p
	}
	svc := &luahost.Services{}
	h := luahost.New(luahost.Options{PoolSize: 2}, svc)
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "good", Path: script("good", "true")}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Load(context.Background(), []luahost.Script{{Name: "bad", Path: script("bad", "false")}}); err == nil {
		t.Fatal("a load whose init returns false must be refused")
	}
	reg, _ := httpsrv.Endpoints.From(svc)
	srv := httptest.NewServer(reg)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "good" {
		t.Fatalf("GET /x after a refused reload: %d %q; want the serving generation's 200 \"good\"", resp.StatusCode, body)
	}
}
