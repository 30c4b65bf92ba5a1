package lauxlib

import (
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// Four things PUC's behaviour needs are not in gopher-lua's API: which
// instruction a frame is executing (to name the variable in a runtime error
// exactly), which frame a stack level resolves to and how many tail calls it
// made (to tell a tail call's level from the frame below it, TailLevel), which upvalues are still open (to close those of the frames an
// error unwinds, see pcall.go), and what a thread's value stack holds (the
// roots of collectgarbage's marking, see gc.go). They are read here, and
// only here, through reflect from gopher-lua v1.1.2's unexported fields
// (Debug.frame with its LocalBase, Pc and TailCall, LState.uvcache with each
// Upvalue's index and next, LState.reg with its array and top). Nothing is
// written through reflect. If a gopher-lua upgrade renames them, these
// functions report !ok and the callers fall back (the failing line instead
// of the instruction; escaped closures of a failed call see nil; no
// collection of weak tables); TestInternals fails so the upgrade is
// noticed.

// FrameInfo returns the base register of the frame behind dbg and the
// index of the instruction it is executing.
func FrameInfo(dbg *lua.Debug) (localBase, pc int, ok bool) {
	v := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return 0, 0, false
	}
	f := v.Elem()
	lb, next := f.FieldByName("LocalBase"), f.FieldByName("Pc")
	if !lb.IsValid() || !next.IsValid() || lb.Kind() != reflect.Int || next.Kind() != reflect.Int {
		return 0, 0, false
	}
	return int(lb.Int()), int(next.Int()) - 1, true
}

// FrameOf returns the identity of the frame behind dbg and the number of
// tail calls made in it (callFrame.TailCall).
func FrameOf(dbg *lua.Debug) (frame uintptr, tailCalls int, ok bool) {
	v := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return 0, 0, false
	}
	tc := v.Elem().FieldByName("TailCall")
	if !tc.IsValid() || tc.Kind() != reflect.Int {
		return 0, 0, false
	}
	return v.Pointer(), int(tc.Int()), true
}

// OpenUpvalues lists L's open upvalues with the registers they point at.
func OpenUpvalues(L *lua.LState) (ups []*lua.Upvalue, regs []int, ok bool) {
	v := reflect.ValueOf(L).Elem().FieldByName("uvcache")
	for {
		if !v.IsValid() || v.Kind() != reflect.Pointer {
			return nil, nil, false
		}
		if v.IsNil() {
			return ups, regs, true
		}
		index := v.Elem().FieldByName("index")
		if !index.IsValid() || index.Kind() != reflect.Int {
			return nil, nil, false
		}
		ups = append(ups, (*lua.Upvalue)(v.UnsafePointer()))
		regs = append(regs, int(index.Int()))
		v = v.Elem().FieldByName("next")
	}
}

func InstOp(i uint32) int { return int(i >> 26) }

func InstA(i uint32) int { return int(i>>18) & 0xff }

func InstB(i uint32) int { return int(i & 0x1ff) }

func InstC(i uint32) int { return int(i>>9) & 0x1ff }

func InstBx(i uint32) int { return int(i & 0x3ffff) }

// Registers returns the values on L's value stack, every frame's, up to
// its top. The slice is L's own: read it before L runs again.
func Registers(L *lua.LState) ([]lua.LValue, bool) {
	reg := reflect.ValueOf(L).Elem().FieldByName("reg")
	if !reg.IsValid() || reg.Kind() != reflect.Pointer || reg.IsNil() {
		return nil, false
	}
	array, top := reg.Elem().FieldByName("array"), reg.Elem().FieldByName("top")
	if !array.IsValid() || !top.IsValid() || top.Kind() != reflect.Int || array.Type() != reflect.TypeOf([]lua.LValue(nil)) {
		return nil, false
	}
	values := *(*[]lua.LValue)(unsafe.Pointer(array.UnsafeAddr()))
	n := int(top.Int())
	if n < 0 || n > len(values) {
		return nil, false
	}
	return values[:n], true
}

// FrameBase returns the register of the function a frame runs (its
// callFrame.Base); the frame's own values start above it.
func FrameBase(dbg *lua.Debug) (int, bool) {
	v := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return 0, false
	}
	b := v.Elem().FieldByName("Base")
	if !b.IsValid() || b.Kind() != reflect.Int {
		return 0, false
	}
	return int(b.Int()), true
}
