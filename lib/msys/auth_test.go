package msys_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"msyshost/lib/hook"
	"msyshost/lib/msys"
	"msyshost/luahost"
)

// A scheme registered in init answers the listeners' questions, in the
// state that registered it.
func TestRegisterAuth(t *testing.T) {
	svc := &luahost.Services{}
	h := newHostWith(t, luahost.Options{PoolSize: 2}, svc, `local mod = {}
local auth = {}
local users = {}
function auth:enumGroups(username)
  if username == "root" then return { "root", "admin" } end
  return msys.core.EC_AUTH_FAIL
end
function auth:queryGroups() return { "root", "admin", "users" } end
function auth:authenticate(filename, params, username, password)
  if params.realm ~= "mail" then return msys.core.EC_AUTH_ERROR end
  if username == "root" and password == users.root then return msys.core.EC_AUTH_OK end
  return msys.core.EC_AUTH_FAIL
end
function mod:init()
  users.root = "letmein"
  msys.registerAuth("myscheme", auth)
  return true
end
function mod:smpp_handle_DR_positive() return 0 end
msys.registerModule("auth", mod)`)
	_ = h
	reg, _ := msys.Auth.From(svc)
	ctx := context.Background()
	if got := strings.Join(reg.Schemes(), ","); got != "myscheme" {
		t.Fatalf("schemes %q", got)
	}
	for _, c := range []struct {
		user, pass, realm string
		want              int
	}{{"root", "letmein", "mail", hook.AuthOK}, {"root", "wrong", "mail", hook.AuthFail}, {"root", "letmein", "web", hook.AuthError}} {
		code, err := reg.Authenticate(ctx, "myscheme", "/etc/passwd", map[string]string{"realm": c.realm}, c.user, c.pass)
		if err != nil || code != c.want {
			t.Errorf("%+v: %d, %v", c, code, err)
		}
	}
	groups, code, err := reg.EnumGroups(ctx, "myscheme", "root")
	if err != nil || code != hook.AuthOK || strings.Join(groups, ",") != "root,admin" {
		t.Errorf("enumGroups root: %v %d %v", groups, code, err)
	}
	if _, code, _ := reg.EnumGroups(ctx, "myscheme", "nobody"); code != hook.AuthFail {
		t.Errorf("enumGroups nobody: %d", code)
	}
	if groups, _, _ := reg.QueryGroups(ctx, "myscheme"); len(groups) != 3 {
		t.Errorf("queryGroups %v", groups)
	}
	if _, err := reg.Authenticate(ctx, "other", "", nil, "u", "p"); err != msys.ErrNoScheme {
		t.Errorf("unknown scheme: %v", err)
	}
	h.Close()
	if len(reg.Schemes()) != 0 {
		t.Errorf("a retired generation's schemes must go: %v", reg.Schemes())
	}
}

// TestRefusedReloadKeepsTheServingSchemes: a reload whose init returns
// false leaves the serving generation's authentication schemes in place.
func TestRefusedReloadKeepsTheServingSchemes(t *testing.T) {
	svc := &luahost.Services{}
	script := func(initResult string) string {
		return `local mod = {}
local auth = {}
function auth:authenticate(filename, params, username, password)
  if password == "` + initResult + `" then return msys.core.EC_AUTH_OK end
  return msys.core.EC_AUTH_FAIL
end
function mod:init()
  msys.registerAuth("myscheme", auth)
  return ` + initResult + `
end
function mod:smpp_handle_DR_positive() return 0 end
msys.registerModule("auth", mod)`
	}
	h := newHostWith(t, luahost.Options{PoolSize: 2}, svc, script("true"))
	defer h.Close()
	dir := t.TempDir()
	bad := dir + "/bad.lua"
	if err := os.WriteFile(bad, []byte(script("false")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.Load(context.Background(), []luahost.Script{{Name: "auth", Path: bad}}); err == nil {
		t.Fatal("a load whose init returns false must be refused")
	}
	reg, _ := msys.Auth.From(svc)
	code, err := reg.Authenticate(context.Background(), "myscheme", "", nil, "u", "true")
	if err != nil || code != hook.AuthOK {
		t.Fatalf("after a refused reload the serving scheme answers %d, %v; want AuthOK", code, err)
	}
}
