// Package httpsrv is the Lua modules msys.httpsrv and
// msys.extended.httpsrv: HTTP endpoints scripts register
// (msys.httpsrv.register, from rsrc_setup) and the session their handler
// gets. Endpoints is an http.Handler the daemon mounts on its HTTP
// listener.
package httpsrv

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

// Done is msys.httpsrv.DONE: a handler's "answer with the default
// response".
const Done = 0

// Registry holds the registered endpoints. It is an http.Handler.
type Registry struct {
	mu  sync.RWMutex
	eps map[string]*luahost.Callback // "METHOD path" or "* path"
}

// Endpoints is the host's Registry.
var Endpoints = luahost.NewServiceDefault("HTTP endpoints", func() *Registry {
	return &Registry{eps: map[string]*luahost.Callback{}}
})

// Paths lists the registered endpoints as "METHOD /path", sorted.
func (r *Registry) Paths() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.eps))
	for k := range r.eps {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func key(method, path string) string {
	path = "/" + strings.Trim(path, "/")
	return method + " " + path
}

// Session is one request to a Lua endpoint and the response its handler
// sets.
type Session struct {
	Req      *http.Request
	Body     []byte
	Status   int
	Response string
	MimeType string
}

var (
	sessionClass = luahost.NewClass[Session]("msys.httpsrv:_ec_httpsrv_session", "ec_httpsrv_session")
	urlClass     = luahost.NewClass[urlDetails]("msys.httpsrv:_ec_url_details", "ec_url_details")
)

type urlDetails struct {
	url   string
	attrs *core.Dict
}

// ServeHTTP runs the handler registered for the request's method and path
// (a handler for every method when none is registered for this one). The
// handler's response_status_set_std is the answer; a handler that sets none
// (or returns msys.httpsrv.DONE) gets 200 with no body; one that fails gets
// 500.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.RLock()
	cb := r.eps[key(req.Method, req.URL.Path)]
	if cb == nil {
		cb = r.eps[key("*", req.URL.Path)]
	}
	r.mu.RUnlock()
	if cb == nil {
		http.NotFound(w, req)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 16<<20))
	if err != nil {
		http.Error(w, "reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	s := &Session{Req: req, Body: body}
	err = cb.Run(req.Context(), func(L *lua.LState, fn *lua.LFunction) error {
		return luahost.PCall(req.Context(), L, fn, sessionClass.Push(L, s))
	})
	if err != nil {
		http.Error(w, "script handler failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	if s.MimeType != "" {
		w.Header().Set("Content-Type", s.MimeType)
	}
	w.WriteHeader(s.Status)
	io.WriteString(w, s.Response)
}

func init() {
	luahost.Register(luahost.Binding{Name: "msys.httpsrv", Open: open, Notes: map[string]string{
		"msys.httpsrv.register": "served by Endpoints, which the daemon mounts on its HTTP listener",
	}})
	luahost.Register(luahost.Binding{Name: "msys.extended.httpsrv", Open: func(L *lua.LState) lua.LValue { return nil }})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	t.RawSetString("DONE", lua.LNumber(Done))
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{"register": luahost.Func("register", register)})
	luahost.SetFuncs(L, sessionClass.Methods(L), map[string]lua.LGFunction{
		"request_url_get":         luahost.Method("request_url_get", requestURL),
		"response_status_set_std": luahost.Method("response_status_set_std", setResponse),
	})
	urlClass.Field(L, "url", func(_ *lua.LState, u *urlDetails) lua.LValue { return lua.LString(u.url) }, nil)
	urlClass.Field(L, "attrs", func(L *lua.LState, u *urlDetails) lua.LValue { return core.DictClass.Push(L, u.attrs) }, nil)
	return t
}

// msys.httpsrv.register(method, path, fn): fn(session) answers requests
// of method (nil: every method) to path (a trailing "/" is optional).
// Registering a method and path again replaces the handler; a generation's
// endpoints go when it retires.
func register(a luahost.Args) int {
	method := "*"
	if !a.IsNone(1) {
		method = strings.ToUpper(a.String(1))
	}
	path := a.String(2)
	if !strings.HasPrefix(path, "/") {
		a.Error(2, "path starting with / expected, got '"+path+"'")
	}
	fn := a.Function(3)
	cb, existing := luahost.Keep(a.L, fn)
	if existing {
		return 0
	}
	reg, _ := Endpoints.Get(a.L)
	luahost.PublishWhileServing(a.L, &reg.mu, reg.eps, key(method, path), cb)
	return 0
}

// session:request_url_get() → url details: .url (the request URI) and
// .attrs (its query parameters as an ec_dict, nil when there are none).
func requestURL(a luahost.Args) int {
	s := sessionClass.Check(a, 1)
	d := &urlDetails{url: s.Req.URL.RequestURI()}
	if q := s.Req.URL.Query(); len(q) > 0 {
		d.attrs = core.NewDict()
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d.attrs.Set(k, q.Get(k))
		}
	}
	return a.Push(urlClass.Push(a.L, d))
}

// session:response_status_set_std(code, message[, mimetype]): the
// response's status, body and Content-Type.
func setResponse(a luahost.Args) int {
	s := sessionClass.Check(a, 1)
	code := a.Int(2)
	if code < 100 || code > 599 {
		a.Error(2, fmt.Sprintf("HTTP status expected, got %d", code))
	}
	s.Status, s.Response, s.MimeType = code, a.OptString(3, ""), a.OptString(4, "")
	return 0
}
