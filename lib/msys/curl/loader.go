// Package curl is the Lua module curl (`require("curl")`): Momentum's
// luacurl binding of libcurl's easy interface, carried by a real HTTP/1.1
// and HTTPS client on net/http. curl.new() gives a handle; c:setopt(
// curl.OPT_*, value) sets options, c:perform() runs the transfer through
// the read, write, header and progress functions, c:getinfo(curl.INFO_*)
// reports on it and c:close() releases it; curl.escape and curl.unescape
// URL-encode. The Go side (Easy) also serves msys.http.client.
package curl

import (
	"context"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Handle is a curl object: the transfer handle and the script's
// callbacks. Easy is nil once the handle is closed.
type Handle struct {
	Easy *Easy
	fns  map[string]*lua.LFunction // WRITE, READ, HEADER, PROGRESS, IOCTL, SEEK
	data map[string]lua.LValue     // the matching *DATA values
}

// Class is the curl object class.
var Class = luahost.NewClass[Handle]("curl", "curl object")

func init() {
	luahost.Register(luahost.Binding{Name: "curl", Open: open, Notes: map[string]string{
		"curl object:setopt": "HTTP and HTTPS only: FTP, telnet, netrc and form-post options raise an error naming them; " +
			"COOKIEFILE takes only \"\" (the in-memory cookie engine); encrypted keys (SSLKEYPASSWD), digest/NTLM " +
			"authentication and SOCKS proxies are refused; HTTP/1.1 is always spoken",
		"curl object:perform": "a READFUNCTION upload is gathered before it is sent (64 MiB at most); HEADERFUNCTION " +
			"gets header names canonicalised, in sorted order",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	for _, o := range options {
		t.RawSetString("OPT_"+o.name, lua.LNumber(o.num))
	}
	// Old names libcurl keeps as aliases.
	for alias, name := range map[string]string{"FILE": "WRITEDATA", "INFILE": "READDATA", "WRITEHEADER": "HEADERDATA", "SSLCERTPASSWD": "SSLKEYPASSWD"} {
		t.RawSetString("OPT_"+alias, t.RawGetString("OPT_"+name))
	}
	for name, v := range infoNames {
		t.RawSetString("INFO_"+name, lua.LNumber(v))
	}
	for name, v := range errorNames {
		t.RawSetString("E_"+name, lua.LNumber(v))
		t.RawSetString(name, lua.LNumber(v)) // luacurl's spelling
	}
	for name, v := range valueNames {
		t.RawSetString(name, lua.LNumber(v))
	}
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"new":      luahost.Func("new", newHandle),
		"escape":   luahost.Func("escape", escape),
		"unescape": luahost.Func("unescape", unescape),
	})
	luahost.SetFuncs(L, Class.Methods(L), map[string]lua.LGFunction{
		"setopt":  luahost.Method("setopt", setopt),
		"perform": luahost.Method("perform", perform),
		"getinfo": luahost.Method("getinfo", getinfo),
		"close":   luahost.Method("close", closeHandle),
	})
	return t
}

// curl.new() → a curl object.
func newHandle(a luahost.Args) int {
	h := &Handle{Easy: NewEasy(), fns: map[string]*lua.LFunction{}, data: map[string]lua.LValue{}}
	return a.Push(Class.Push(a.L, h))
}

// open returns the handle's transfer state or raises for a closed handle.
func (h *Handle) open(a luahost.Args) *Easy {
	if h.Easy == nil {
		a.Raise("attempt to use closed curl object")
	}
	return h.Easy
}

// c:setopt(option, value...) → true, or nil, message, code. Strings may be
// nil to clear; string lists take several strings, a table of strings or
// nil; boolean options take true or false only.
func setopt(a luahost.Args) int {
	h := Class.Check(a, 1)
	e := h.open(a)
	if a.Top() < 3 {
		a.Raise("Invalid number of arguments %d to `setopt' method", a.Top())
	}
	num := a.Int(2)
	o, ok := optionByNum[num]
	if !ok {
		a.Raise("Not supported curl option %d", num)
	}
	var err error
	switch o.kind {
	case kUnsupported:
		a.Raise("curl.OPT_%s is not supported: msyshost's curl speaks HTTP and HTTPS only", o.name)
	case kFunction:
		h.fns[strings.TrimSuffix(o.name, "FUNCTION")] = a.Function(3)
	case kData:
		h.data[strings.TrimSuffix(o.name, "DATA")] = a.Get(3)
	case kBool:
		b, ok := a.Get(3).(lua.LBool)
		if !ok {
			a.Error(3, "boolean value expected")
		}
		err = e.SetBool(o.name, bool(b))
	case kNumber:
		err = e.SetNumber(o.name, a.Number(3))
	case kString:
		if a.IsNone(3) {
			err = e.SetString(o.name, "", true)
		} else {
			err = e.SetString(o.name, a.String(3), false)
		}
	case kList:
		err = e.SetList(o.name, stringList(a))
	}
	if err != nil {
		return a.Push(lua.LNil, lua.LString(Strerror(EBadFunctionArgument)+" ("+err.Error()+")"), lua.LNumber(EBadFunctionArgument))
	}
	return a.Push(lua.LTrue)
}

// stringList reads the values of a list option: nil, a table of strings,
// or strings from argument 3 on.
func stringList(a luahost.Args) []string {
	if a.IsNone(3) {
		return nil
	}
	if t, ok := a.Get(3).(*lua.LTable); ok {
		var out []string
		for i := 1; ; i++ {
			v := t.RawGetInt(i)
			if v == lua.LNil {
				return out
			}
			s, ok := luahost.ToString(v)
			if !ok {
				a.Error(3, fmt.Sprintf("string expected at index %d, got %s", i, v.Type()))
			}
			out = append(out, s)
		}
	}
	out := make([]string, 0, a.Top()-2)
	for i := 3; i <= a.Top(); i++ {
		out = append(out, a.String(i))
	}
	return out
}

// c:perform() → true, or nil, message, code.
func perform(a luahost.Args) int {
	h := Class.Check(a, 1)
	e := h.open(a)
	self := a.Get(1)
	L := a.L
	call := func(name string, nret int, args ...lua.LValue) lua.LValue {
		fn := h.fns[name]
		L.Push(fn)
		if d, ok := h.data[name]; ok {
			L.Push(d)
		} else {
			L.Push(self) // *DATA defaults to the curl object
		}
		for _, v := range args {
			L.Push(v)
		}
		L.Call(len(args)+1, nret)
		ret := L.Get(-1)
		L.Pop(1)
		return ret
	}
	count := func(v lua.LValue) int {
		n, _ := luahost.ToNumber(v)
		return int(n)
	}
	var cb Callbacks
	if h.fns["WRITE"] != nil {
		cb.Write = func(p []byte) int { return count(call("WRITE", 1, lua.LString(p))) }
	}
	if h.fns["HEADER"] != nil {
		cb.Header = func(p []byte) int { return count(call("HEADER", 1, lua.LString(p))) }
	}
	if h.fns["READ"] != nil {
		cb.Read = func(max int) ([]byte, bool) {
			switch v := call("READ", 1, lua.LNumber(max)).(type) {
			case lua.LString:
				return []byte(v), false
			case lua.LNumber:
				if int(v) == ReadFuncAbort {
					return nil, true
				}
				s, _ := luahost.ToString(v)
				return []byte(s), false
			}
			return nil, false
		}
	}
	if h.fns["PROGRESS"] != nil {
		cb.Progress = func(dlt, dln, ult, uln float64) bool {
			v := call("PROGRESS", 1, lua.LNumber(dlt), lua.LNumber(dln), lua.LNumber(ult), lua.LNumber(uln))
			n, ok := luahost.ToNumber(v)
			return ok && n != 0
		}
	}
	ctx := L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := e.Perform(ctx, cb); err != nil {
		return a.Push(lua.LNil, lua.LString(err.Error()), lua.LNumber(err.Code))
	}
	return a.Push(lua.LTrue)
}

// c:getinfo(curl.INFO_*) → the value, or nil and a message.
func getinfo(a luahost.Args) int {
	h := Class.Check(a, 1)
	e := h.open(a)
	num := a.Int(2)
	in := e.Info()
	secs := func(d interface{ Seconds() float64 }) lua.LValue { return lua.LNumber(d.Seconds()) }
	speed := func(n int64) lua.LValue {
		if s := in.TotalTime.Seconds(); s > 0 {
			return lua.LNumber(float64(n) / s)
		}
		return lua.LNumber(0)
	}
	var v lua.LValue
	switch num {
	case InfoEffectiveURL:
		v = lua.LString(in.EffectiveURL)
	case InfoResponseCode:
		v = lua.LNumber(in.ResponseCode)
	case InfoContentType:
		if in.ContentType == "" {
			v = lua.LNil
		} else {
			v = lua.LString(in.ContentType)
		}
	case InfoTotalTime:
		v = secs(in.TotalTime)
	case InfoNameLookupTime:
		v = secs(in.NameLookupTime)
	case InfoConnectTime:
		v = secs(in.ConnectTime)
	case InfoPretransferTime:
		v = secs(in.PretransferTime)
	case InfoStartTransferTime:
		v = secs(in.StartTransferTime)
	case InfoRedirectTime:
		v = secs(in.RedirectTime)
	case InfoRedirectCount:
		v = lua.LNumber(in.RedirectCount)
	case InfoSizeUpload:
		v = lua.LNumber(in.SizeUpload)
	case InfoSizeDownload:
		v = lua.LNumber(in.SizeDownload)
	case InfoSpeedDownload:
		v = speed(in.SizeDownload)
	case InfoSpeedUpload:
		v = speed(in.SizeUpload)
	case InfoHeaderSize:
		v = lua.LNumber(in.HeaderSize)
	case InfoRequestSize:
		v = lua.LNumber(in.RequestSize)
	case InfoSSLVerifyResult:
		v = lua.LNumber(in.SSLVerifyResult)
	case InfoFiletime:
		v = lua.LNumber(in.Filetime)
	case InfoContentLengthDownload:
		v = lua.LNumber(in.ContentLengthDownload)
	case InfoContentLengthUpload:
		v = lua.LNumber(in.ContentLengthUpload)
	case InfoNumConnects:
		v = lua.LNumber(in.NumConnects)
	default:
		return a.Push(lua.LNil, lua.LString(fmt.Sprintf("Invalid CURLINFO number: %d", num)))
	}
	return a.Push(v)
}

// c:close() → true; using the object afterwards raises an error.
func closeHandle(a luahost.Args) int {
	h := Class.Check(a, 1)
	h.open(a).Close()
	h.Easy = nil
	h.fns, h.data = nil, nil
	return a.Push(lua.LTrue)
}

// curl.escape(str) → str URL-encoded: every byte but letters, digits and
// "-._~" as %XX with upper-case hex.
func escape(a luahost.Args) int {
	if a.IsNone(1) {
		a.Error(1, "string parameter expected")
	}
	s := a.String(1)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return a.Push(lua.LString(b.String()))
}

// curl.unescape(str) → str with %XX sequences decoded ('+' stays '+'); a
// '%' not followed by two hex digits is kept as it is.
func unescape(a luahost.Args) int {
	if a.IsNone(1) {
		a.Error(1, "string parameter expected")
	}
	s := a.String(1)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return a.Push(lua.LString(b.String()))
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
