// Package tls_params is the Lua module msys.tls_params: per-connection TLS
// settings the core_get_outbound_tls_parameters and
// core_get_inbound_tls_parameters hooks may change. The SMTP client and
// server pass *Params as the hook's params argument and use what the hook
// left in it.
package tls_params

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Params are a connection's TLS settings (ec_ssl_ctx_params).
type Params struct {
	UseTLS     int // 0 no, 1 if available, 2 required
	CertFile   string
	KeyFile    string
	CipherList string
	CA         string
}

// ParamsClass is the class of the params a TLS hook receives.
var ParamsClass = luahost.NewClass[Params]("msys.tls_params:_ec_ssl_ctx_params", "tls_params")

func init() {
	luahost.Register(luahost.Binding{Name: "msys.tls_params", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{"set": luahost.Func("set", set)})
	ParamsClass.Field(L, "use_tls", func(_ *lua.LState, p *Params) lua.LValue { return lua.LNumber(p.UseTLS) },
		func(L *lua.LState, p *Params, v lua.LValue) {
			n, ok := luahost.ToNumber(v)
			if !ok || n < 0 || n > 2 {
				L.RaiseError("params.use_tls is 0 (no), 1 (if available) or 2 (required), got %s", v.String())
			}
			p.UseTLS = int(n)
		})
	return t
}

// msys.tls_params.set(params, name, value): sets one string setting of the
// connection: certfile, keyfile, cipherlist or ca.
func set(a luahost.Args) int {
	p := ParamsClass.Check(a, 1)
	name := strings.ToLower(a.String(2))
	v := a.String(3)
	switch name {
	case "certfile":
		p.CertFile = v
	case "keyfile":
		p.KeyFile = v
	case "cipherlist":
		p.CipherList = v
	case "ca":
		p.CA = v
	default:
		a.Error(2, "certfile, keyfile, cipherlist or ca expected, got '"+name+"'")
	}
	return 0
}
