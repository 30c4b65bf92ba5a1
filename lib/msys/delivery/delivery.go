// Package delivery is the Lua module msys.delivery: the return values of
// the generic delivery hooks (generic_delivery_msg_dispose and the HTTP and
// push response hooks).
package delivery

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.delivery", Open: open, Missing: map[string]string{
		"msys.delivery.ob_get_current_message": "needs an outbound HTTP delivery session; msyshost delivers by SMTP, SMPP and MM7",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	for k, v := range map[string]int{
		"DELIVERY_CONTINUE":   hook.DeliveryContinue,
		"DELIVERY_DONE":       hook.DeliveryDone,
		"DELIVERY_SUCCESS":    hook.DeliverySuccess,
		"DELIVERY_PERMFAILED": hook.DeliveryPermFailed,
		"DELIVERY_TEMPFAILED": hook.DeliveryTempFailed,
		"DELIVERY_FAIL":       hook.DeliveryFail,
	} {
		t.RawSetString(k, lua.LNumber(v))
	}
	return t
}
