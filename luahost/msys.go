package luahost

import (
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// knownHooks are the callouts a registered module may define. A module
// defining none of them is most likely misnamed, and gets a warning.
var knownHooks = map[string]bool{
	"init": true, "deinit": true, "rsrc_setup": true,
	"smpp_store_submit": true, "smpp_handle_DR_negative": true, "smpp_handle_DR_positive": true,
	"mm7_store_submit_hook": true, "mm7_handle_DR_negative": true, "mm7_handle_DR_positive": true,
	"validate_connect": true, "validate_ehlo": true, "validate_mailfrom": true,
	"validate_rcptto": true, "validate_data": true, "validate_data_spool": true,
	"validate_data_spool_each_rcpt": true, "validate_set_binding": true,
	"validate_rcptto_list": true, "validate_rcptto_list_final": true, "validate_dealloc": true,
	"core_final_validation": true, "core_config_get_message_routing_domain": true,
	"generic_delivery_msg_dispose": true, "msg_gen_data_spool": true,
	"http_request_eval": true, "generic_delivery_http_response_eval": true,
	"ac_auth_perform_auth": true, "ac_auth_log_auth_failure": true,
	"outbound_smtp_auth_config": true, "seedlist_generate_seed": true,
}

// openMsys creates the msys table with the functions that need no require.
func (st *state) openMsys() {
	L := st.L
	msys := L.NewTable()
	L.SetFuncs(msys, map[string]lua.LGFunction{
		"registerModule": st.registerModule,
		"type":           Func("type", msysType),
	})
	L.SetGlobal("msys", msys)
	st.loaded().RawSetString("msys", msys)
}

// registerModule is msys.registerModule(name, table).
func (st *state) registerModule(L *lua.LState) int {
	name := L.CheckString(1)
	tbl := L.CheckTable(2)
	st.modules = append(st.modules, &module{name: name, script: st.script, tbl: tbl})
	return 0
}

// checkModules warns about registrations that will never run as the author
// expects; it runs once per generation on its first state.
func (g *Generation) checkModules(st *state) {
	log := g.host.log
	for _, m := range st.modules {
		var hooks []string
		m.tbl.ForEach(func(k, v lua.LValue) {
			if ks, ok := k.(lua.LString); ok && knownHooks[string(ks)] {
				if _, fn := v.(*lua.LFunction); fn {
					hooks = append(hooks, string(ks))
				}
			}
		})
		sort.Strings(hooks)
		if len(hooks) == 0 {
			log.Warn("scriptlet: no usable methods found for module "+m.name+" in registerModule call", "script", m.script)
		} else {
			log.Info("module registered", "module", m.name, "script", m.script, "hooks", strings.Join(hooks, ","))
		}
		if m.script != "" && m.name != m.script && !strings.HasSuffix(m.script, "/"+m.name+".lua") && !strings.HasSuffix(m.script, "/"+m.name) {
			log.Warn("module name differs from its script stanza; it runs anyway", "module", m.name, "script", m.script)
		}
	}
}

// msys.type(x) → the class name of engine userdata ("msys.core:_ec_message"),
// else what type(x) says.
func msysType(a Args) int {
	v := a.Any(1)
	if ud, ok := v.(*lua.LUserData); ok {
		if mt, ok := ud.Metatable.(*lua.LTable); ok {
			if name, ok := mt.RawGetString("__name").(lua.LString); ok {
				return a.Push(name)
			}
		}
	}
	return a.Push(lua.LString(v.Type().String()))
}
