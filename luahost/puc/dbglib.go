package puc

import (
	"strconv"
	"strings"
	"weak"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/number"
)

func openDebug(L *lua.LState) {
	if _, ok := L.GetGlobal("debug").(*lua.LTable); !ok {
		return
	}
	dbg := lauxlib.SetFuncs(L, "debug", map[string]lua.LGFunction{
		"getinfo":      dbgGetinfo,
		"traceback":    dbgTraceback,
		"getlocal":     dbgGetlocal,
		"setlocal":     dbgSetlocal,
		"getregistry":  dbgGetregistry,
		"gethook":      dbgGethook,
		"sethook":      dbgSethook,
		"getupvalue":   dbgGetupvalue,
		"setupvalue":   dbgSetupvalue,
		"getfenv":      dbgGetfenv,
		"setfenv":      dbgSetfenv,
		"setmetatable": dbgSetmetatable,
	})
	hostOf(L).prot.traceback, _ = dbg.RawGetString("traceback").(*lua.LFunction)
}

// Tracebacks show the first levels1 levels and the last levels2 ones.
const (
	levels1 = 12
	levels2 = 10
)

// dbgTraceback is debug.traceback([thread,] [message [, level]]) in 5.1's
// layout: "message\nstack traceback:\n\tchunk:line: in function 'f'", with
// "[C]" for Go functions, "in main chunk" and "in function <chunk:line>"
// for functions called without a name.
func dbgTraceback(L *lua.LState) int {
	L1, arg := L, 0
	if th, ok := L.Get(1).(*lua.LState); ok {
		L1, arg = th, 1
	}
	level := 0
	if L1 == L {
		level = 1
	}
	level = lauxlib.OptInt(L, arg+2, level)
	var b strings.Builder
	if L.GetTop() > arg {
		msg, ok := lauxlib.ToString(L.Get(arg + 1))
		if !ok {
			L.Push(L.Get(arg + 1))
			return 1
		}
		b.WriteString(msg)
		b.WriteByte('\n')
	}
	b.WriteString("stack traceback:")
	frames := stackFrames(L, L1, nil)
	writeFrames(&b, frames, level)
	L.Push(lua.LString(b.String()))
	return 1
}

// writeFrames writes the traceback lines of frames from level on, each
// after "\n\t", as db_errorfb does: past level levels1 only the last
// levels2, after "...".
func writeFrames(b *strings.Builder, frames []string, level int) {
	first := true
	for level < len(frames) {
		level++
		if level > levels1 && first {
			if level+levels2 >= len(frames) {
				level--
			} else {
				b.WriteString("\n\t...")
				level = len(frames) - levels2
			}
			first = false
			continue
		}
		b.WriteString("\n\t")
		b.WriteString(frames[level-1])
	}
}

// stackFrames lists the traceback lines of L1's frames, innermost first,
// down to the frame of stop (not included) when stop is not nil.
// A suspended coroutine has yielded from coroutine.yield, a frame PUC
// keeps and gopher-lua drops; one that never ran has no frames in PUC.
func stackFrames(L, L1 *lua.LState, stop *lua.LFunction) []string {
	var frames []string
	if L1 != L && L.Status(L1) == "suspended" {
		dbg, ok := L1.GetStack(0)
		if !ok {
			return nil
		}
		if _, err := L1.GetInfo("l", dbg, nil); err != nil || dbg.CurrentLine <= 0 {
			return nil
		}
		frames = append(frames, "[C]: in function 'yield'")
	}
	hidden, hiddenProtos := hostOf(L).hidden, hostOf(L).hiddenProtos
	// GetStack walks from the top, so listing n levels costs n squared;
	// a deep stack (a stack overflow) is read only near both ends, which
	// is all a traceback shows, and the middle counted.
	depth := stackDepth(L1)
	var levels []*lua.Debug
	var fns []lua.LValue
	for level := 0; level < depth; level++ {
		if level == traceWindow && depth > 2*traceWindow {
			for ; level < depth-traceWindow; level++ {
				levels, fns = append(levels, nil), append(fns, nil)
			}
		}
		dbg, ok := L1.GetStack(level)
		if !ok {
			break
		}
		fn, _ := L1.GetInfo("fl", dbg, nil)
		if stop != nil && fn == lua.LValue(stop) {
			break
		}
		levels, fns = append(levels, dbg), append(fns, fn)
	}
	if L1 != L && L.Status(L1) == "dead" {
		if line, ok := hostOf(L).raisedBy[weak.Make(L1)]; ok {
			frames = append(frames, line)
		}
	}
	// gopher-lua counts a tail call as a level, as PUC does, but answers
	// for it with the bottom frame; PUC shows "(tail call): ?".
	last := len(levels) - 1
	for i, dbg := range levels {
		if dbg == nil {
			frames = append(frames, "")
			continue
		}
		if i < last && fns[i] == fns[last] && dbg.CurrentLine == levels[last].CurrentLine {
			frames = append(frames, "(tail call): ?")
			continue
		}
		if fn, ok := fns[i].(*lua.LFunction); ok && (hidden[fn] || !fn.IsG && hiddenProtos[fn.Proto] || fn.IsG && loweredOperator(L1, dbg)) {
			continue
		}
		frames = append(frames, frameText(L1, dbg))
	}
	return frames
}

// traceWindow is how many levels at each end of a deep stack stackFrames
// reads: more than a traceback's levels1 and levels2, for hidden frames.
const traceWindow = 40

// stackDepth counts L's levels in O(n log n) GetStack steps.
func stackDepth(L *lua.LState) int {
	hi := 1
	for {
		if _, ok := L.GetStack(hi); !ok {
			break
		}
		hi *= 2
	}
	lo := hi / 2 // a level that exists (or 0)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if _, ok := L.GetStack(mid); ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	if _, ok := L.GetStack(0); !ok {
		return 0
	}
	return lo + 1
}

// loweredOperator reports whether the Go frame dbg runs an operation that
// luahost/dialect lowered onto a host function ("(pow)", "(concat)",
// "(fornum)"): its caller called it through a hidden local or upvalue,
// whose name is not an identifier ("(anonymous)" is gopher-lua's name for
// a Go function it has no name for). PUC runs these operations inside the
// VM, so its tracebacks have no frame for them.
func loweredOperator(L *lua.LState, dbg *lua.Debug) bool {
	if _, err := L.GetInfo("n", dbg, nil); err != nil {
		return false
	}
	n := dbg.Name
	return len(n) > 2 && n[0] == '(' && n[len(n)-1] == ')' && n != "(anonymous)"
}

// frameText is one traceback line without its leading tab.
func frameText(L *lua.LState, dbg *lua.Debug) string {
	v, err := L.GetInfo("Slnf", dbg, nil)
	fn, _ := v.(*lua.LFunction)
	if err != nil || fn == nil {
		return "[C]: ?"
	}
	src := "[C]"
	if !fn.IsG {
		src = dbg.Source
	}
	var b strings.Builder
	b.WriteString(src)
	b.WriteByte(':')
	if dbg.CurrentLine > 0 {
		b.WriteString(strconv.Itoa(dbg.CurrentLine))
		b.WriteByte(':')
	}
	switch {
	case frameNamed(dbg.Name):
		b.WriteString(" in function '" + dbg.Name + "'")
	case fn.IsG:
		b.WriteString(" ?")
	case dbg.LineDefined == 0:
		b.WriteString(" in main chunk")
	default:
		b.WriteString(" in function <" + src + ":" + strconv.Itoa(dbg.LineDefined) + ">")
	}
	return b.String()
}

// frameNamed tells a name from gopher-lua's placeholders for functions
// called without one ("?", "<chunk:line>", "(anonymous)", "main chunk").
func frameNamed(name string) bool {
	return name != "" && name != "?" && name != "main chunk" && name != "corountine" &&
		name[0] != '<' && name[0] != '('
}

// dbgGetinfo is debug.getinfo([thread,] f [, what]) with 5.1's fields:
// source as the chunk name ("@file" for files, "=[C]" for Go functions),
// short_src, what ("main", "Lua", "C"), namewhat from the caller's code.
func dbgGetinfo(L *lua.LState) int {
	L1, arg := L, 0
	if th, ok := L.Get(1).(*lua.LState); ok {
		L1, arg = th, 1
	}
	options := lauxlib.OptString(L, arg+2, "flnSu")
	var fn *lua.LFunction
	dbg := &lua.Debug{CurrentLine: -1}
	level := -1
	switch v := L.Get(arg + 1).(type) {
	case lua.LNumber:
		level = int(number.ToInteger(float64(v)))
		if L1 != L && L.Status(L1) == "suspended" {
			// PUC's level 0 is coroutine.yield, which gopher-lua drops.
			if level == 0 {
				fn, _ = L.GetField(L.GetGlobal("coroutine"), "yield").(*lua.LFunction)
				if fn == nil {
					L.Push(lua.LNil)
					return 1
				}
				break
			}
			level--
		}
		d, ok := L1.GetStack(level)
		if !ok || level < 0 {
			L.Push(lua.LNil)
			return 1
		}
		if lauxlib.TailLevel(L1, level) {
			L.Push(tailInfo(L, options))
			return 1
		}
		dbg = d
		f, err := L1.GetInfo("lnf", dbg, nil)
		if err != nil {
			L.Push(lua.LNil)
			return 1
		}
		h := hostOf(L)
		if fn, _ = f.(*lua.LFunction); fn == nil || h.hidden[fn] || !fn.IsG && h.hiddenProtos[fn.Proto] {
			// No level, or the wrapper of a coroutine's body, which PUC
			// does not have.
			L.Push(lua.LNil)
			return 1
		}
	case *lua.LFunction:
		fn = v
	default:
		lauxlib.ArgError(L, arg+1, "function or level expected")
	}
	t := L.NewTable()
	for _, c := range options {
		switch c {
		case 'S':
			src, what, first, last := "=[C]", "C", -1, -1
			if !fn.IsG {
				src, what = chunkSource(fn.Proto.SourceName), "Lua"
				first, last = fn.Proto.LineDefined, fn.Proto.LastLineDefined
				if first == 0 {
					what, last = "main", 0
				}
			}
			t.RawSetString("source", lua.LString(src))
			t.RawSetString("short_src", lua.LString(shortSrc(fn)))
			t.RawSetString("linedefined", lua.LNumber(first))
			t.RawSetString("lastlinedefined", lua.LNumber(last))
			t.RawSetString("what", lua.LString(what))
		case 'l':
			line := -1
			if level >= 0 && !fn.IsG && dbg.CurrentLine > 0 {
				line = dbg.CurrentLine
			}
			t.RawSetString("currentline", lua.LNumber(line))
		case 'u':
			t.RawSetString("nups", lua.LNumber(scriptUpvalues(fn)))
		case 'n':
			kind := ""
			if level >= 0 && frameNamed(dbg.Name) {
				kind = lauxlib.CallKind(L1, level+1, dbg.Name)
			}
			if kind != "" {
				t.RawSetString("name", lua.LString(dbg.Name))
			}
			t.RawSetString("namewhat", lua.LString(kind))
		case 'f':
			t.RawSetString("func", fn)
		case '>':
		case 'L':
			if !fn.IsG {
				lines := L.NewTable()
				for _, line := range fn.Proto.DbgSourcePositions {
					lines.RawSetInt(line, lua.LTrue)
				}
				t.RawSetString("activelines", lines)
			}
		default:
			lauxlib.ArgError(L, arg+2, "invalid option")
		}
	}
	L.Push(t)
	return 1
}

// chunkSource guesses the chunk name a function's short source name came
// from: `[string "x"]` from loading the string x, a file name from "@file".
// A truncated string name cannot be undone, nor a "=name" told from a file.
func chunkSource(short string) string {
	if inner, ok := strings.CutPrefix(short, `[string "`); ok {
		inner = strings.TrimSuffix(inner, `"]`)
		return strings.TrimSuffix(inner, "...")
	}
	return "@" + short
}

// tailInfo is what 5.1's getinfo says about a tail call's level.
func tailInfo(L *lua.LState, options string) *lua.LTable {
	t := L.NewTable()
	for _, c := range options {
		switch c {
		case 'S':
			t.RawSetString("source", lua.LString("=(tail call)"))
			t.RawSetString("short_src", lua.LString("(tail call)"))
			t.RawSetString("linedefined", lua.LNumber(-1))
			t.RawSetString("lastlinedefined", lua.LNumber(-1))
			t.RawSetString("what", lua.LString("tail"))
		case 'l':
			t.RawSetString("currentline", lua.LNumber(-1))
		case 'u':
			t.RawSetString("nups", lua.LNumber(0))
		case 'n':
			t.RawSetString("namewhat", lua.LString(""))
		}
	}
	return t
}

func shortSrc(fn *lua.LFunction) string {
	if fn.IsG {
		return "[C]"
	}
	return fn.Proto.SourceName
}

// scriptUpvalues counts the upvalues a script can name: luahost/dialect
// binds its lowered operators as upvalues whose names are not
// identifiers ("(concat)"), which PUC does not have.
func scriptUpvalues(fn *lua.LFunction) int {
	if fn.IsG {
		return 0
	}
	n := 0
	for i := range int(fn.Proto.NumUpvalues) {
		if i >= len(fn.Proto.DbgUpvalues) || !strings.HasPrefix(fn.Proto.DbgUpvalues[i], "(") {
			n++
		}
	}
	return n
}
