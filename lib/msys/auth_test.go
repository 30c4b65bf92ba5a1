package msys_test

import (
	"context"
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
