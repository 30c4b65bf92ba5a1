// Package os is the Lua module msys.os: file system usage snapshots
// (statvfs) that a script reads without blocking on a slow disk more than
// once per interval.
package os

import (
	"sync"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.os", Open: open})
}

// Subscription is a path's snapshot stream.
type Subscription struct {
	path     string
	interval time.Duration
	mu       sync.Mutex
	at       time.Time
	snap     syscall.Statfs_t
	err      error
	version  int
}

var (
	subClass  = luahost.NewClass[Subscription]("msys.os:_ec_statvfs_record_t", "statvfs record")
	snapClass = luahost.NewClass[snapshot]("msys.os:_ec_statvfs_t", "ec_statvfs_t")
)

type snapshot struct {
	version                              int
	kbAvail, kbTotal, objAvail, objTotal float64
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"statvfs_subscribe": luahost.Func("statvfs_subscribe", subscribe),
		"statvfs_read":      luahost.Func("statvfs_read", read),
	})
	for k, get := range map[string]func(*snapshot) float64{
		"version":             func(s *snapshot) float64 { return float64(s.version) },
		"kilobytes_available": func(s *snapshot) float64 { return s.kbAvail },
		"kilobytes_total":     func(s *snapshot) float64 { return s.kbTotal },
		"objects_available":   func(s *snapshot) float64 { return s.objAvail },
		"objects_total":       func(s *snapshot) float64 { return s.objTotal },
	} {
		get := get
		snapClass.Field(L, k, func(_ *lua.LState, s *snapshot) lua.LValue { return lua.LNumber(get(s)) }, nil)
	}
	return t
}

// msys.os.statvfs_subscribe(path, interval) → a subscription whose
// snapshot is at most interval seconds old when read (0: 10 seconds).
func subscribe(a luahost.Args) int {
	path := a.String(1)
	iv := a.OptNumber(2, 0)
	if iv <= 0 {
		iv = 10
	}
	return a.Push(subClass.Push(a.L, &Subscription{path: path, interval: time.Duration(iv * float64(time.Second))}))
}

// msys.os.statvfs_read(subscription) → the latest snapshot (version,
// kilobytes_available, kilobytes_total, objects_available,
// objects_total), or nil and why the file system could not be read.
func read(a luahost.Args) int {
	s := subClass.Check(a, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.at.IsZero() || time.Since(s.at) >= s.interval {
		s.err = syscall.Statfs(s.path, &s.snap)
		s.at = time.Now()
		s.version++
	}
	if s.err != nil {
		return a.Failf("statvfs %s: %v", s.path, s.err)
	}
	bs := float64(s.snap.Bsize) / 1024
	return a.Push(snapClass.Push(a.L, &snapshot{version: s.version,
		kbAvail: float64(s.snap.Bavail) * bs, kbTotal: float64(s.snap.Blocks) * bs,
		objAvail: float64(s.snap.Ffree), objTotal: float64(s.snap.Files)}))
}
