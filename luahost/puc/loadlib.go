package puc

import (
	"errors"
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
)

// The package library is PUC's loadlib.c: require walks package.loaders
// (preload, package.path, package.cpath, the C root), module and
// package.seeall set environments, package.loadlib answers as a Lua built
// without a loadable C library does for a file it cannot open. Lua files
// are compiled by whatever SetFileLoader installed (luahost/dialect
// installs its front-end, a host its compiled-code cache).

// FileLoader compiles a Lua file into a function, as luaL_loadfile does. An
// error's text is what require reports after "error loading module".
type FileLoader func(L *lua.LState, path string) (*lua.LFunction, error)

type pkglib struct {
	loadFile FileLoader
	sentinel *lua.LUserData // package.loaded[name] while name loads
}

const pkgRegistryKey = "msyshost.puc.package"

func openPackage(L *lua.LState) {
	lib := &pkglib{loadFile: gopherLoadFile, sentinel: L.NewUserData()}
	ud := L.NewUserData()
	ud.Value = lib
	L.SetField(L.Get(lua.RegistryIndex), pkgRegistryKey, ud)
	pkg, ok := L.GetGlobal("package").(*lua.LTable)
	if !ok {
		pkg = L.NewTable()
		L.SetGlobal("package", pkg)
	}
	loaded, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable)
	if !ok {
		loaded = L.NewTable()
		L.SetField(L.Get(lua.RegistryIndex), "_LOADED", loaded)
	}
	loaders := L.NewTable()
	for _, f := range []lua.LGFunction{loaderPreload, lib.loaderLua, loaderC, loaderCroot} {
		loaders.Append(L.NewFunction(f))
	}
	pkg.RawSetString("loaders", loaders)
	pkg.RawSetString("loaded", loaded)
	if _, ok := pkg.RawGetString("preload").(*lua.LTable); !ok {
		pkg.RawSetString("preload", L.NewTable())
	}
	pkg.RawSetString("path", lua.LString(DefaultPath))
	pkg.RawSetString("cpath", lua.LString(DefaultCPath))
	pkg.RawSetString("config", lua.LString("/\n;\n?\n!\n-"))
	pkg.RawSetString("loadlib", L.NewFunction(pkgLoadlib))
	pkg.RawSetString("seeall", L.NewFunction(pkgSeeall))
	loaded.RawSetString("package", pkg)
	g := L.G.Global
	g.RawSetString("require", L.NewFunction(lib.require))
	g.RawSetString("module", L.NewFunction(pkgModule))
}

// PUC's compiled-in paths (luaconf.h with Debian's multiarch cpath), which
// a host replaces with its own search path (SetPath).
const (
	DefaultPath  = "./?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;/usr/local/lib/lua/5.1/?.lua;/usr/local/lib/lua/5.1/?/init.lua;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"
	DefaultCPath = "./?.so;/usr/local/lib/lua/5.1/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;/usr/lib/lua/5.1/?.so;/usr/local/lib/lua/5.1/loadall.so"
)

// gopherLoadFile is the loader until SetFileLoader installs another:
// gopher-lua's own compiler.
func gopherLoadFile(L *lua.LState, path string) (*lua.LFunction, error) {
	return L.LoadFile(path)
}

// SetFileLoader makes require compile Lua files with load. It does nothing
// in a state Open was not applied to, whose require is gopher-lua's.
func SetFileLoader(L *lua.LState, load FileLoader) {
	if ud, ok := L.GetField(L.Get(lua.RegistryIndex), pkgRegistryKey).(*lua.LUserData); ok {
		ud.Value.(*pkglib).loadFile = load
	}
}

// SetPath sets package.path ("path") or package.cpath ("cpath") as
// luaopen_package does: from the environment variable env when it is set
// and env is not "", with ";;" standing for def; else def.
func SetPath(L *lua.LState, field, env, def string) {
	path := def
	if env != "" {
		if v, ok := os.LookupEnv(env); ok {
			path = strings.ReplaceAll(v, ";;", ";\x01;")
			path = strings.ReplaceAll(path, "\x01", def)
		}
	}
	L.SetField(L.GetGlobal("package"), field, lua.LString(path))
}

// require is ll_require.
func (lib *pkglib) require(L *lua.LState) int {
	name := lauxlib.CheckString(L, 1)
	L.SetTop(1)
	loaded, _ := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable)
	if loaded == nil {
		lauxlib.Raise(L, "'package.loaded' must be a table")
	}
	if v := loaded.RawGetString(name); lua.LVAsBool(v) {
		if v == lib.sentinel {
			lauxlib.Raise(L, "loop or previous error loading module '%s'", name)
		}
		L.Push(v)
		return 1
	}
	loaders, ok := L.GetField(L.GetGlobal("package"), "loaders").(*lua.LTable)
	if !ok {
		lauxlib.Raise(L, "'package.loaders' must be a table")
	}
	var msg strings.Builder
	var loader lua.LValue
	for i := 1; ; i++ {
		f := loaders.RawGetInt(i)
		if f == lua.LNil {
			lauxlib.Raise(L, "module '%s' not found:%s", name, msg.String())
		}
		L.Push(f)
		L.Push(lua.LString(name))
		lauxlib.Call(L, 1, 1)
		r := L.Get(-1)
		L.Pop(1)
		if r.Type() == lua.LTFunction {
			loader = r
			break
		}
		if s, ok := lauxlib.ToString(r); ok {
			msg.WriteString(s)
		}
	}
	loaded.RawSetString(name, lib.sentinel)
	L.Push(loader)
	L.Push(lua.LString(name))
	L.Call(1, 1)
	if r := L.Get(-1); r != lua.LNil {
		loaded.RawSetString(name, r)
	}
	L.Pop(1)
	r := loaded.RawGetString(name)
	if r == lua.LNil || r == lib.sentinel {
		r = lua.LTrue
		loaded.RawSetString(name, r)
	}
	L.Push(r)
	return 1
}

func loaderPreload(L *lua.LState) int {
	name := lauxlib.CheckString(L, 1)
	preload, ok := L.GetField(L.GetGlobal("package"), "preload").(*lua.LTable)
	if !ok {
		lauxlib.Raise(L, "'package.preload' must be a table")
	}
	if f := preload.RawGetString(name); f != lua.LNil {
		L.Push(f)
		return 1
	}
	L.Push(lua.LString("\n\tno field package.preload['" + name + "']"))
	return 1
}

// findFile is findfile: the first template of package[field] that names a
// readable file once '?' is replaced by name (dots made slashes), or the
// "no file" lines of every template tried.
func findFile(L *lua.LState, name, field string) (path, tried string) {
	name = strings.ReplaceAll(name, ".", "/")
	templates, ok := lauxlib.ToString(L.GetField(L.GetGlobal("package"), field))
	if !ok {
		lauxlib.Raise(L, "'package.%s' must be a string", field)
	}
	var b strings.Builder
	for _, t := range strings.Split(templates, ";") {
		if t == "" {
			continue
		}
		file := strings.ReplaceAll(t, "?", name)
		if f, err := os.Open(file); err == nil {
			f.Close()
			return file, ""
		}
		b.WriteString("\n\tno file '" + file + "'")
	}
	return "", b.String()
}

func loadError(L *lua.LState, name, file, msg string) {
	lauxlib.Raise(L, "error loading module '%s' from file '%s':\n\t%s", name, file, msg)
}

func (lib *pkglib) loaderLua(L *lua.LState) int {
	name := lauxlib.CheckString(L, 1)
	file, tried := findFile(L, name, "path")
	if file == "" {
		L.Push(lua.LString(tried))
		return 1
	}
	fn, err := lib.loadFile(L, file)
	if err != nil {
		var ae *lua.ApiError
		msg := err.Error()
		if errors.As(err, &ae) {
			msg = ae.Object.String()
		}
		loadError(L, name, file, msg)
	}
	L.Push(fn)
	return 1
}

func loaderC(L *lua.LState) int {
	name := lauxlib.CheckString(L, 1)
	file, tried := findFile(L, name, "cpath")
	if file == "" {
		L.Push(lua.LString(tried))
		return 1
	}
	msg, _ := loadFunc(file)
	loadError(L, name, file, msg)
	return 0
}

func loaderCroot(L *lua.LState) int {
	name := lauxlib.CheckString(L, 1)
	root, _, dotted := strings.Cut(name, ".")
	if !dotted {
		return 0
	}
	file, tried := findFile(L, root, "cpath")
	if file == "" {
		L.Push(lua.LString(tried))
		return 1
	}
	msg, _ := loadFunc(file)
	loadError(L, name, file, msg)
	return 0
}

// loadFunc is ll_loadfunc without C libraries: what dlopen says of a file
// it cannot open ("open"), and for a file that exists what a Lua built
// without dynamic library support says ("absent").
func loadFunc(path string) (msg, when string) {
	if _, err := os.Stat(path); err != nil {
		return path + ": cannot open shared object file: No such file or directory", "open"
	}
	return "dynamic libraries not enabled; check your Lua installation", "absent"
}

// pkgLoadlib is package.loadlib(path, funcname): nil, the message and
// "open" or "absent", as no C library can be loaded.
func pkgLoadlib(L *lua.LState) int {
	path := lauxlib.CheckString(L, 1)
	lauxlib.CheckString(L, 2)
	msg, when := loadFunc(path)
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	L.Push(lua.LString(when))
	return 3
}

// pkgSeeall is package.seeall(module): globals visible through __index.
func pkgSeeall(L *lua.LState) int {
	mod := lauxlib.CheckTable(L, 1)
	mt, ok := mod.Metatable.(*lua.LTable)
	if !ok {
		mt = L.NewTable()
		mod.Metatable = mt
	}
	mt.RawSetString("__index", L.G.Global)
	return 0
}

// pkgModule is module(name, ...): the module table from package.loaded, a
// global of that dotted name or a new one, initialised with _M, _NAME and
// _PACKAGE, made the caller's environment, then passed to each option.
func pkgModule(L *lua.LState) int {
	name := lauxlib.CheckString(L, 1)
	loaded, _ := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable)
	mod, ok := loaded.RawGetString(name).(*lua.LTable)
	if !ok {
		mod = findTable(L, L.G.Global, name)
		if mod == nil {
			lauxlib.Raise(L, "name conflict for module '%s'", name)
		}
		loaded.RawSetString(name, mod)
	}
	if mod.RawGetString("_NAME") == lua.LNil {
		mod.RawSetString("_M", mod)
		mod.RawSetString("_NAME", lua.LString(name))
		pkgName := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			pkgName = name[:i+1]
		}
		mod.RawSetString("_PACKAGE", lua.LString(pkgName))
	}
	dbg, ok := L.GetStack(1)
	var caller *lua.LFunction
	if ok {
		if v, err := L.GetInfo("f", dbg, nil); err == nil {
			caller, _ = v.(*lua.LFunction)
		}
	}
	if caller == nil || caller.IsG {
		lauxlib.Raise(L, "'module' not called from a Lua function")
	}
	caller.Env = mod
	for i := 2; i <= L.GetTop(); i++ {
		L.Push(L.Get(i))
		L.Push(mod)
		lauxlib.Call(L, 1, 0)
	}
	return 0
}

// findTable is luaL_findtable with a new table for each missing part of
// the dotted name; nil when a part holds something else than a table.
func findTable(L *lua.LState, t *lua.LTable, name string) *lua.LTable {
	for _, part := range strings.Split(name, ".") {
		v := t.RawGetString(part)
		switch v := v.(type) {
		case *lua.LTable:
			t = v
		case *lua.LNilType:
			n := L.NewTable()
			t.RawSetString(part, n)
			t = n
		default:
			return nil
		}
	}
	return t
}
