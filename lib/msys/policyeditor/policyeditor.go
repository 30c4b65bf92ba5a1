// Package policyeditor is the Lua module msys.policyeditor: the helpers
// Momentum 3's web policy editor generated scripts from (deprecated there,
// kept so those scripts run). Each takes (ctx, vars, params): ctx holds the
// callout's objects (ctx.ec_message, and ctx.vctx when the phase has one),
// vars the script's variables, params the call's named arguments.
package policyeditor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.policyeditor", Open: open,
		Notes: map[string]string{
			"msys.policyeditor.set_binding": "records the binding without checking it against the configured ones",
		},
		Missing: map[string]string{
			"msys.policyeditor.get_binding_domain_failure_rate": "needs the MTA's per-binding delivery statistics",
			"msys.policyeditor.send_trap":                       "needs an SNMP agent; msyshost sends no traps",
		}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	fns := map[string]func(c call) int{
		"get_mailfrom":       func(c call) int { return c.a.Push(lua.LString(c.msg().MailFrom)) },
		"get_rcptto":         func(c call) int { return c.a.Push(lua.LString(c.msg().RcptTo)) },
		"get_header":         getHeader,
		"del_header":         delHeader,
		"get_mess_recv_via":  func(c call) int { return c.addr(message.KeyListenerAddr) },
		"get_mess_recv_from": func(c call) int { return c.addr(message.KeyReceptionPeer) },
		"vctx_mess_get":      func(c call) int { return c.ctxGet(message.CtxMess) },
		"vctx_mess_set":      func(c call) int { return c.ctxSet(message.CtxMess) },
		"vctx_conn_get":      func(c call) int { return c.ctxGet(message.CtxConn) },
		"vctx_conn_set":      func(c call) int { return c.ctxSet(message.CtxConn) },
		"set_binding":        func(c call) int { return c.binding(false) },
		"set_binding_group":  func(c call) int { return c.binding(true) },
		"get_variable":       func(c call) int { return c.a.Push(c.vars.RawGetString(c.param("name"))) },
		"set_variable":       setVariable,
		"pcre_match":         pcreMatch,
		"send_email":         sendEmail,
	}
	for name, f := range fns {
		f := f
		t.RawSetString(name, L.NewFunction(luahost.Func(name, func(a luahost.Args) int {
			return f(call{a: a, ctx: a.Table(1), vars: a.Table(2), params: a.Table(3)})
		})))
	}
	return t
}

type call struct {
	a                 luahost.Args
	ctx, vars, params *lua.LTable
}

func (c call) msg() *message.Message {
	m := core.MessageClass.To(c.ctx.RawGetString("ec_message"))
	if m == nil {
		c.a.Raise("msys.policyeditor.%s: ctx.ec_message is not a message", c.a.Name)
	}
	return m
}

func (c call) param(name string) string {
	s, ok := luahost.ToString(c.params.RawGetString(name))
	if !ok {
		c.a.Raise("msys.policyeditor.%s: params.%s is missing", c.a.Name, name)
	}
	return s
}

// getHeader is get_header({header}) → the first value of the header,
// unfolded onto one line and decoded to UTF-8; nil when absent.
func getHeader(c call) int {
	vs := c.msg().HeaderValues(c.param("header"))
	if len(vs) == 0 {
		return c.a.Push(lua.LNil)
	}
	return c.a.Push(lua.LString(strings.Join(strings.Fields(vs[0]), " ")))
}

// delHeader is del_header({header}) → the name of the header deleted.
func delHeader(c call) int {
	name := c.param("header")
	c.msg().DelHeader(name)
	return c.a.Push(lua.LString(name))
}

// addr is get_mess_recv_via / get_mess_recv_from → "IP:port" of the
// listener / the client, nil when unknown.
func (c call) addr(key string) int {
	v := c.msg().ConnValue(key)
	if v == "" {
		return c.a.Push(lua.LNil)
	}
	return c.a.Push(lua.LString(v))
}

// ctxGet is vctx_*_get({key}) → the value, or nil.
func (c call) ctxGet(which int) int {
	v, ok := c.msg().Ctx(which)[c.param("key")]
	if !ok {
		return c.a.Push(lua.LNil)
	}
	return c.a.Push(lua.LString(v))
}

// ctxSet is vctx_*_set({key, value}).
func (c call) ctxSet(which int) int {
	c.msg().Ctx(which)[c.param("key")] = c.param("value")
	return 0
}

// binding is set_binding({binding}) / set_binding_group({binding_group}):
// one of a comma-separated list, picked at random → true.
func (c call) binding(group bool) int {
	key := "binding"
	if group {
		key = "binding_group"
	}
	var names []string
	for _, n := range strings.Split(c.param(key), ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return c.a.Push(lua.LFalse)
	}
	pick := names[rand.IntN(len(names))]
	if group {
		c.msg().BindingGroup = pick
	} else {
		c.msg().Binding = pick
	}
	return c.a.Push(lua.LTrue)
}

// setVariable is set_variable({name, value}) → the value.
func setVariable(c call) int {
	v := c.params.RawGetString("value")
	c.vars.RawSetString(c.param("name"), v)
	return c.a.Push(v)
}

// pcreMatch is pcre_match({subject, pattern}) → whether it matched; vars
// get "$0" (the subject, as Momentum documents), "$1"... and "$name".
func pcreMatch(c call) int {
	subject, pattern := c.param("subject"), c.param("pattern")
	re, err := message.CompileRegexp(pattern)
	if err != nil {
		c.a.Raise("msys.policyeditor.pcre_match: %v", err)
	}
	defer re.Close()
	m, err := re.Find([]byte(subject))
	if err != nil {
		c.a.Raise("msys.policyeditor.pcre_match: %v", err)
	}
	if m == nil {
		return c.a.Push(lua.LFalse)
	}
	c.vars.RawSetString("$0", lua.LString(subject))
	for i := 1; i < len(m.Groups); i++ {
		if m.Set[i] {
			c.vars.RawSetString(fmt.Sprintf("$%d", i), lua.LString(m.Groups[i]))
		}
	}
	for name, i := range m.Names {
		if m.Set[i] {
			c.vars.RawSetString("$"+name, lua.LString(m.Groups[i]))
		}
	}
	return c.a.Push(lua.LTrue)
}

// throttle remembers when send_email last sent, by sender, recipients and
// subject.
type throttle struct {
	mu   sync.Mutex
	last map[string]time.Time
}

type throttleKey struct{}

// sendEmail is send_email({from, to, subject, body, throttle}) → true, or
// false when throttle seconds have not passed since the same message was
// sent, or nil and why it could not be handed to the spool. to may list
// several addresses separated by commas or spaces.
func sendEmail(c call) int {
	from, to, subject, body := c.param("from"), c.param("to"), c.param("subject"), c.param("body")
	var rcpts []string
	for _, r := range strings.FieldsFunc(to, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if l, d := message.SplitAddress(r); l == "" || d == "" {
			return c.a.Fail(fmt.Errorf("%q is not a user@domain address", r))
		}
		if err := message.CheckAddress(r); err != nil {
			return c.a.Fail(err)
		}
		rcpts = append(rcpts, r)
	}
	if len(rcpts) == 0 {
		return c.a.Fail(errors.New("no recipients"))
	}
	if n, ok := luahost.ToNumber(c.params.RawGetString("throttle")); ok && n > 0 {
		th := luahost.HostShared(c.a.L, throttleKey{}, func() *throttle { return &throttle{last: map[string]time.Time{}} })
		k := from + "\x00" + to + "\x00" + subject
		now := luahost.Now(c.a.L)
		th.mu.Lock()
		if t, ok := th.last[k]; ok && now.Sub(t) < time.Duration(n*float64(time.Second)) {
			th.mu.Unlock()
			return c.a.Push(lua.LFalse)
		}
		th.last[k] = now
		th.mu.Unlock()
	}
	inj, ok := core.Injector.Get(c.a.L)
	if !ok || inj == nil {
		return c.a.Fail(errors.New("msys.policyeditor.send_email: no spool is configured"))
	}
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@msyshost>\r\n\r\n%s",
		from, strings.Join(rcpts, ", "), subject, luahost.Now(c.a.L).Format(time.RFC1123Z), message.NewID(), body)
	for _, r := range rcpts {
		if err := inj.Inject(c.a.L.Context(), message.FromRaw(from, r, []byte(raw))); err != nil {
			return c.a.Fail(err)
		}
	}
	return c.a.Push(lua.LTrue)
}
