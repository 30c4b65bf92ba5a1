// Package httpclnt is the Lua module msys.httpclnt: how the HTTP delivery
// module judges an HTTP response status.
package httpclnt

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.httpclnt", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"http_status_classifier": luahost.Func("http_status_classifier", classify),
	})
	return t
}

// msys.httpclnt.http_status_classifier(status) →
// msys.delivery.DELIVERY_SUCCESS for a 2xx status, DELIVERY_TEMPFAILED for
// one a retry may cure (408, 429, 5xx but 501 and 505), DELIVERY_PERMFAILED
// for any other. Momentum documents only SUCCESS and PERMFAILED as
// answers; msyshost also answers TEMPFAILED where RFC 9110 says the
// request may succeed later.
func classify(a luahost.Args) int {
	s := a.Int(1)
	switch {
	case s >= 200 && s < 300:
		return a.Push(lua.LNumber(hook.DeliverySuccess))
	case s == 408 || s == 429 || s >= 500 && s < 600 && s != 501 && s != 505:
		return a.Push(lua.LNumber(hook.DeliveryTempFailed))
	}
	return a.Push(lua.LNumber(hook.DeliveryPermFailed))
}
