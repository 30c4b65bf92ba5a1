// Package client is the Lua module msys.http.client
// (`require("msys.http.client")`): a small HTTP client object on the same
// transfer engine as curl. msys.http.client.new() gives a client;
// client:set_header and client:set_timeout configure it,
// client:do_request(type, url[, data]) runs a request, and get_status,
// get_headers, parse_headers and get_body read the answer.
package client

import (
	"context"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/curl"
	"msyshost/luahost"
)

// Client is an HTTP client object and its last answer.
type Client struct {
	easy    *curl.Easy
	headers []string
	timeout time.Duration

	answered bool
	status   int
	reason   string
	raw      []string // header lines of the answer, without CRLF
	body     []byte
}

// Class is the HTTP client class.
var Class = luahost.NewClass[Client]("msys.http.client", "HTTP client")

// maxBody bounds the answer a client keeps in memory.
const maxBody = 64 << 20

func init() {
	luahost.Register(luahost.Binding{Name: "msys.http.client", Open: open, Notes: map[string]string{
		"HTTP client:get_headers": "header names canonicalised, in sorted order",
		"HTTP client:do_request":  "redirects are returned, not followed; an answer over 64 MiB fails",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{"new": luahost.Func("new", newClient)})
	luahost.SetFuncs(L, Class.Methods(L), map[string]lua.LGFunction{
		"set_header":    luahost.Method("set_header", setHeader),
		"set_timeout":   luahost.Method("set_timeout", setTimeout),
		"do_request":    luahost.Method("do_request", doRequest),
		"get_status":    luahost.Method("get_status", getStatus),
		"get_body":      luahost.Method("get_body", getBody),
		"get_headers":   luahost.Method("get_headers", getHeaders),
		"parse_headers": luahost.Method("parse_headers", parseHeaders),
	})
	return t
}

// msys.http.client.new() → a client.
func newClient(a luahost.Args) int {
	return a.Push(Class.Push(a.L, &Client{easy: curl.NewEasy()}))
}

// client:set_header([line]) adds a request header line ("Name: value");
// without an argument it clears them.
func setHeader(a luahost.Args) int {
	c := Class.Check(a, 1)
	if a.IsNone(2) {
		c.headers = nil
		return 0
	}
	c.headers = append(c.headers, a.String(2))
	return 0
}

// client:set_timeout([seconds]) bounds each request; without an argument
// there is no bound but the hook's deadline.
func setTimeout(a luahost.Args) int {
	c := Class.Check(a, 1)
	c.timeout = time.Duration(a.OptNumber(2, 0) * float64(time.Second))
	return 0
}

// client:do_request(type, url[, data]) → true, or nil and an error
// message. type is GET, POST, PUT or DELETE; data is the request body
// (ignored for GET). A POST without a Content-Type header is sent as
// application/x-www-form-urlencoded. Redirects are not followed: the
// answer is the server's first.
func doRequest(a luahost.Args) int {
	c := Class.Check(a, 1)
	method := [...]string{"GET", "POST", "PUT", "DELETE"}[a.Option(2, "", "GET", "POST", "PUT", "DELETE")]
	url := a.String(3)
	data, hasData := "", !a.IsNone(4)
	if hasData {
		data = a.String(4)
	}
	e := c.easy
	e.URL = url
	e.Headers = c.headers
	e.Timeout = c.timeout
	e.MaxFileSize = maxBody
	e.CustomRequest = ""
	e.SetBool("HTTPGET", true)
	switch {
	case method == "POST":
		e.SetString("POSTFIELDS", data, false)
	case method != "GET" && hasData:
		e.SetString("POSTFIELDS", data, false)
		e.CustomRequest = method
	case method != "GET":
		e.SetString("POSTFIELDS", "", true)
		e.CustomRequest = method
	}
	c.answered, c.raw, c.body = false, nil, nil
	var lines []string
	var body []byte
	cb := curl.Callbacks{
		Header: func(p []byte) int { lines = append(lines, string(p)); return len(p) },
		Write:  func(p []byte) int { body = append(body, p...); return len(p) },
	}
	ctx := a.L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := e.Perform(ctx, cb); err != nil {
		return a.Fail(err)
	}
	c.answered = true
	c.status = e.Info().ResponseCode
	c.body = body
	for i, l := range lines {
		l = strings.TrimRight(l, "\r\n")
		if i == 0 {
			// "HTTP/1.1 200 OK": the reason phrase follows the code.
			if f := strings.SplitN(l, " ", 3); len(f) == 3 {
				c.reason = f[2]
			}
			continue
		}
		if l != "" {
			c.raw = append(c.raw, l)
		}
	}
	return a.Push(lua.LTrue)
}

// client:get_status() → code, reason phrase (200, "OK"); nil before an
// answer.
func getStatus(a luahost.Args) int {
	c := Class.Check(a, 1)
	if !c.answered {
		return a.Push(lua.LNil)
	}
	return a.Push(lua.LNumber(c.status), lua.LString(c.reason))
}

// client:get_body() → the answer's body; nil before an answer.
func getBody(a luahost.Args) int {
	c := Class.Check(a, 1)
	if !c.answered {
		return a.Push(lua.LNil)
	}
	return a.Push(lua.LString(c.body))
}

// client:get_headers() → the answer's header lines, {"Name: value", ...}.
// Names come canonicalised and sorted (net/http keeps neither spelling
// nor order), each name's values in the order received.
func getHeaders(a luahost.Args) int {
	c := Class.Check(a, 1)
	t := a.L.CreateTable(len(c.raw), 0)
	for _, l := range c.raw {
		t.Append(lua.LString(l))
	}
	return a.Push(t)
}

// client:parse_headers(lines) → {name = value}: each "Name: value" line
// of the table; a name given more than once gets its values joined with
// ", ", as HTTP allows.
func parseHeaders(a luahost.Args) int {
	Class.Check(a, 1)
	in := a.Table(2)
	out := a.L.NewTable()
	for i := 1; ; i++ {
		v := in.RawGetInt(i)
		if v == lua.LNil {
			break
		}
		s, ok := luahost.ToString(v)
		if !ok {
			continue
		}
		name, value, ok := strings.Cut(s, ":")
		if !ok {
			continue
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if prev, ok := out.RawGetString(name).(lua.LString); ok {
			value = string(prev) + ", " + value
		}
		out.RawSetString(name, lua.LString(value))
	}
	return a.Push(out)
}
