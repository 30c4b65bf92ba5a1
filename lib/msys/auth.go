package msys

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/luahost"
)

// AuthSchemes are the authentication schemes scripts registered with
// msys.registerAuth, for the SMTP and console listeners' authentication to
// use by name.
type AuthSchemes struct {
	mu       sync.Mutex
	byScheme map[string]*luahost.Callback
}

// Auth is the host's AuthSchemes.
var Auth = luahost.NewServiceDefault("authentication schemes", func() *AuthSchemes {
	return &AuthSchemes{byScheme: map[string]*luahost.Callback{}}
})

// ErrNoScheme is returned for a scheme no script registered.
var ErrNoScheme = errors.New("no script registered this authentication scheme")

// Schemes returns the registered schemes, sorted.
func (a *AuthSchemes) Schemes() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.byScheme))
	for s := range a.byScheme {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// call runs method of the scheme's table in the state that registered it:
// args builds the arguments there and read takes the result.
func (a *AuthSchemes) call(ctx context.Context, scheme, method string, args func(L *lua.LState) []lua.LValue, read func(v lua.LValue)) error {
	a.mu.Lock()
	cb := a.byScheme[scheme]
	a.mu.Unlock()
	if cb == nil {
		return ErrNoScheme
	}
	return cb.Run(ctx, func(L *lua.LState, fn *lua.LFunction) error {
		if err := luahost.PCall(ctx, L, fn, append([]lua.LValue{lua.LString(method)}, args(L)...)...); err != nil {
			return err
		}
		read(L.Get(-1))
		return nil
	})
}

// Authenticate asks the scheme whether user and password are good:
// hook.AuthOK, AuthFail or AuthError.
func (a *AuthSchemes) Authenticate(ctx context.Context, scheme, filename string, params map[string]string, user, password string) (int, error) {
	code := hook.AuthError
	var bad string
	err := a.call(ctx, scheme, "authenticate", func(L *lua.LState) []lua.LValue {
		t := L.NewTable()
		for k, v := range params {
			t.RawSetString(k, lua.LString(v))
		}
		return []lua.LValue{lua.LString(filename), t, lua.LString(user), lua.LString(password)}
	}, func(v lua.LValue) {
		if n, ok := v.(lua.LNumber); ok {
			code = int(n)
		} else {
			bad = v.Type().String()
		}
	})
	if err == nil && bad != "" {
		err = fmt.Errorf("%s authenticate returned %s, not msys.core.EC_AUTH_*", scheme, bad)
	}
	return code, err
}

// EnumGroups returns the groups of user, or the code the scheme answered
// instead (hook.AuthFail for a user it does not know).
func (a *AuthSchemes) EnumGroups(ctx context.Context, scheme, user string) ([]string, int, error) {
	return a.groups(ctx, scheme, "enumGroups", lua.LString(user))
}

// QueryGroups returns every group the scheme has.
func (a *AuthSchemes) QueryGroups(ctx context.Context, scheme string) ([]string, int, error) {
	return a.groups(ctx, scheme, "queryGroups")
}

func (a *AuthSchemes) groups(ctx context.Context, scheme, method string, args ...lua.LValue) ([]string, int, error) {
	var names []string
	code := hook.AuthOK
	err := a.call(ctx, scheme, method, func(*lua.LState) []lua.LValue { return args }, func(v lua.LValue) {
		switch x := v.(type) {
		case *lua.LTable:
			for i := 1; ; i++ {
				s, ok := luahost.ToString(x.RawGetInt(i))
				if !ok {
					break
				}
				names = append(names, s)
			}
		case lua.LNumber:
			code = int(x)
		default:
			code = hook.AuthError
		}
	})
	if err != nil {
		return nil, hook.AuthError, err
	}
	return names, code, nil
}

// msys.registerAuth(scheme, authtable): registers an authentication scheme
// whose table has authenticate(filename, params, user, password),
// enumGroups(user) and queryGroups() methods, each answering
// msys.core.EC_AUTH_* (or a list of groups). Registering a scheme again
// replaces it; a generation's schemes go when it retires.
func registerAuth(a luahost.Args) int {
	scheme := a.String(1)
	tbl := a.Table(2)
	dispatch := a.L.NewFunction(func(L *lua.LState) int {
		method := L.CheckString(1)
		fn, ok := tbl.RawGetString(method).(*lua.LFunction)
		if !ok {
			L.RaiseError("authentication scheme %s has no %s method", scheme, method)
		}
		top := L.GetTop()
		L.Push(fn)
		L.Push(tbl)
		for i := 2; i <= top; i++ {
			L.Push(L.Get(i))
		}
		L.Call(top, 1)
		return 1
	})
	cb, existing := luahost.Keep(a.L, dispatch)
	if existing {
		return 0
	}
	reg, _ := Auth.Get(a.L)
	luahost.PublishWhileServing(a.L, &reg.mu, reg.byScheme, scheme, cb)
	return 0
}
