package msys

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

// Config is the configuration msys.config reads (core.Config, the one
// service every module reads the configuration from).
var Config = core.Config

// msys.readfile(path_or_uri) → the whole file, or nil and why. A file://
// URI or a path; a hook waits for the read, up to its deadline. Only
// regular files are read (a FIFO or a device would block or never end),
// and only when they fit in what the call may still allocate.
func readfile(a luahost.Args) int {
	name := a.String(1)
	if strings.Contains(name, "://") {
		u, err := url.Parse(name)
		if err != nil {
			return a.Fail(err)
		}
		if u.Scheme != "file" {
			return a.Failf("msys.readfile: %s: only files and file:// URIs can be read", name)
		}
		name = u.Path
	}
	b, err := readRegular(a.L, name)
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LString(b))
}

// readRegular reads a regular file whole, in a goroutine of its own so
// that the call's deadline or cancellation ends the wait (a slow or hung
// file system); the file is opened without blocking and checked after
// opening, so a FIFO put in its place after a look is refused too.
func readRegular(L *lua.LState, name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("msys.readfile: %s: not a regular file (%s)", name, fi.Mode().Type())
	}
	if allow, limited := luahost.Allowance(L); limited && uint64(fi.Size()) > allow {
		f.Close()
		return nil, fmt.Errorf("msys.readfile: %s: not enough memory: the file has %d bytes, the call may allocate %d more", name, fi.Size(), allow)
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer f.Close()
		b, err := io.ReadAll(f)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-L.Context().Done():
		return nil, fmt.Errorf("msys.readfile: %s: interrupted: %w", name, L.Context().Err())
	}
}

// msys.parseRFC2822Addresses(str, component) → array: the component
// ("all", "localpart", "user", "detail" or "domain" of user+detail@domain)
// of every address in str, read as an RFC 2822 address list (display
// names, groups and comments allowed), not as SMTP paths.
func parseAddresses(a luahost.Args) int {
	list, err := message.AddressList(a.String(1), a.OptString(2, message.CompAll))
	if err != nil {
		a.Error(2, err.Error())
	}
	t := a.L.NewTable()
	for _, s := range list {
		t.Append(lua.LString(s))
	}
	return a.Push(t)
}

var macroRE = regexp.MustCompile(`%\{(vctx_conn|vctx_mess):([^}]*)\}`)

// msys.expandMacro(str) → str with %{vctx_conn:key} and %{vctx_mess:key}
// replaced by the connection and message context values of the hook's
// vctx (or message, when the hook has no vctx); a key that is not set
// expands to "". Other macros are left as they are.
func expandMacro(a luahost.Args) int {
	s := a.String(1)
	var m *message.Message
	for _, v := range luahost.CallArgs(a.L) {
		if vc := core.VctxClass.To(v); vc != nil {
			m = vc.Msg
			break
		}
		if msg := core.MessageClass.To(v); msg != nil && m == nil {
			m = msg
		}
	}
	out := macroRE.ReplaceAllStringFunc(s, func(x string) string {
		if m == nil {
			return ""
		}
		p := macroRE.FindStringSubmatch(x)
		which := message.CtxConn
		if p[1] == "vctx_mess" {
			which = message.CtxMess
		}
		return m.Ctx(which)[p[2]]
	})
	return a.Push(lua.LString(out))
}

// msys.config("get", [scope, name,] option) → value, console text: the
// option's value with Momentum's fallback, as `config get` shows it. Scope
// is domain, binding or binding_group. "set" and other actions return nil
// and why: msyshost's configuration is its file.
func configCmd(a luahost.Args) int {
	action := a.String(1)
	if action != "get" {
		return a.Failf("msys.config: %q is not supported: msyshost's configuration comes from its file (edit it and reload)", action)
	}
	get, ok := Config.Get(a.L)
	if !ok || get == nil || get() == nil {
		return a.Failf("msys.config: no configuration is loaded")
	}
	var s config.Scope
	opt := ""
	switch a.Top() {
	case 2:
		opt = a.String(2)
	case 4:
		scope, name := strings.ToLower(a.String(2)), a.String(3)
		switch scope {
		case "domain":
			s.Domain = name
		case "binding":
			s.Binding = name
		case "binding_group":
			s.BindingGroup = name
		default:
			a.Error(2, "domain, binding or binding_group expected, got '"+scope+"'")
		}
		opt = a.String(4)
	default:
		a.Raise("msys.config: expected (\"get\", option) or (\"get\", scope, name, option)")
	}
	v, ok := get().Eval(s, opt)
	if !ok {
		where := ""
		if s != (config.Scope{}) {
			where = fmt.Sprintf("%s%s%s", s.BindingGroup, s.Binding, s.Domain)
		}
		return a.Push(lua.LNil, lua.LString(fmt.Sprintf("Option '%s' is not set in scope '%s'.", opt, where)))
	}
	return a.Push(lua.LString(v.String()), lua.LString(fmt.Sprintf("%s = %s", opt, v.String())))
}

// msys.log(level, message): writes message to the host's log at the
// syslog level given by msys.core.LOG_* (EMERG to ERR log as errors,
// WARNING as a warning, NOTICE and INFO as information, DEBUG as debug),
// tagged with the script.
func logf(a luahost.Args) int {
	lvl := a.Int(1)
	msg := a.String(2)
	if luahost.Quiet(a.L) {
		return 0
	}
	var level slog.Level
	switch {
	case lvl < core.LogEmerg || lvl > core.LogDebug:
		a.Error(1, "msys.core.LOG_* level expected")
	case lvl <= core.LogErr:
		level = slog.LevelError
	case lvl == core.LogWarning:
		level = slog.LevelWarn
	case lvl == core.LogDebug:
		level = slog.LevelDebug
	default:
		level = slog.LevelInfo
	}
	luahost.Log(a.L).Log(context.Background(), level, msg, "source", "msys.log")
	return 0
}

// msys.cast(object, classname) → object as that class. msyshost's classes
// each hold their own Go type, so a cast only succeeds where the object
// already is of that class (Momentum's docs cast a blobject's value to the
// ec_string it is); any other cast is an error instead of a crash.
func cast(a luahost.Args) int {
	v := a.Any(1)
	class := a.String(2)
	if v == lua.LNil {
		return a.Push(lua.LNil)
	}
	ud, ok := v.(*lua.LUserData)
	if ok {
		if mt, ok := ud.Metatable.(*lua.LTable); ok && mt.RawGetString("__name") == lua.LString(class) {
			return a.Push(ud)
		}
	}
	a.Raise("msys.cast: a %s cannot be cast to %s", typeName(v), class)
	return 0
}

// msys.getClassMetaTable(classname) → the metatable of an engine class, or
// nil for a class msyshost does not have.
func classMetaTable(a luahost.Args) int {
	mt := a.L.GetField(a.L.Get(lua.RegistryIndex), a.String(1))
	if _, ok := mt.(*lua.LTable); !ok {
		return a.Push(lua.LNil)
	}
	return a.Push(mt)
}

func typeName(v lua.LValue) string {
	if ud, ok := v.(*lua.LUserData); ok {
		if mt, ok := ud.Metatable.(*lua.LTable); ok {
			if n, ok := mt.RawGetString("__name").(lua.LString); ok {
				return string(n)
			}
		}
	}
	return v.Type().String()
}
