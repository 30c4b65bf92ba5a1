package iolib

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/number"
)

// processStart stands in for the CPU-time origin of C's clock().
var processStart = time.Now()

func openOS(L *lua.LState) {
	t := lauxlib.SetFuncs(L, "os", map[string]lua.LGFunction{
		"clock":     osClock,
		"date":      osDate,
		"difftime":  osDifftime,
		"execute":   osExecute,
		"exit":      osExit,
		"getenv":    osGetenv,
		"remove":    osRemove,
		"rename":    osRename,
		"setlocale": osSetlocale,
		"time":      osTime,
		"tmpname":   osTmpname,
	})
	t.RawSetString("setenv", lua.LNil)
}

func osClock(L *lua.LState) int {
	L.Push(lua.LNumber(time.Since(processStart).Seconds()))
	return 1
}

// osSetlocale is os.setlocale([locale [, category]]). The host runs in
// the C locale and stays there: "C", "POSIX" and "" (the environment's,
// which for a Go process is C) are accepted, any other locale is not.
func osSetlocale(L *lua.LState) int {
	locale := lauxlib.OptString(L, 1, "C")
	checkOption(L, 2, "all", []string{"all", "collate", "ctype", "monetary", "numeric", "time"})
	switch locale {
	case "C", "POSIX", "":
		L.Push(lua.LString("C"))
	default:
		L.Push(lua.LNil)
	}
	return 1
}

// osTmpname is os.tmpname with mkstemp: the file is created, named like
// PUC's /tmp/lua_XXXXXX.
func osTmpname(L *lua.LState) int {
	f, err := os.CreateTemp("/tmp", "lua_")
	if err != nil {
		lauxlib.Raise(L, "unable to generate a unique filename")
	}
	f.Close()
	L.Push(lua.LString(f.Name()))
	return 1
}

func osDifftime(L *lua.LState) int {
	L.Push(lua.LNumber(lauxlib.CheckNumber(L, 1) - lauxlib.OptNumber(L, 2, 0)))
	return 1
}

func osGetenv(L *lua.LState) int {
	if v, ok := os.LookupEnv(lauxlib.CheckString(L, 1)); ok {
		L.Push(lua.LString(v))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// pushResult is os_pushresult: true, or nil, "name: C error text", errno.
func pushResult(L *lua.LState, err error, name string) int {
	if err == nil {
		L.Push(lua.LTrue)
		return 1
	}
	var errno syscall.Errno
	msg := err.Error()
	code := 0
	if errors.As(err, &errno) {
		msg = errno.Error()
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		code = int(errno)
	}
	L.Push(lua.LNil)
	L.Push(lua.LString(name + ": " + msg))
	L.Push(lua.LNumber(code))
	return 3
}

func osRemove(L *lua.LState) int {
	name := lauxlib.CheckString(L, 1)
	return pushResult(L, os.Remove(name), name)
}

func osRename(L *lua.LState) int {
	from := lauxlib.CheckString(L, 1)
	to := lauxlib.CheckString(L, 2)
	return pushResult(L, os.Rename(from, to), from)
}

// osTime is os.time([table]); the table's fields go through mktime's
// normalisation (month 13 is January of the next year, and so on).
func osTime(L *lua.LState) int {
	if lauxlib.IsNoneOrNil(L, 1) {
		L.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	tb := lauxlib.CheckTable(L, 1)
	field := func(key string, def int) int {
		v := L.GetField(tb, key)
		if f, ok := lauxlib.ToNumber(v); ok {
			return int(int32(number.ToInteger(f)))
		}
		if def < 0 {
			lauxlib.Raise(L, "field '%s' missing in date table", key)
		}
		return def
	}
	sec := field("sec", 0)
	minute := field("min", 0)
	hour := field("hour", 12)
	day := field("day", -1)
	month := field("month", -1)
	year := field("year", -1)
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.Local)
	// mktime takes a requested isdst that the zone contradicts as a
	// shift of an hour.
	if dst := L.GetField(tb, "isdst"); dst != lua.LNil && lua.LVAsBool(dst) != t.IsDST() {
		if lua.LVAsBool(dst) {
			t = t.Add(-time.Hour)
		} else {
			t = t.Add(time.Hour)
		}
	}
	if t.Unix() == -1 { // mktime's error value, whatever the date
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LNumber(t.Unix()))
	return 1
}

// osExit is os.exit([code]). gopher-lua's closes the state before it
// checks the argument, so a bad one crashes the process; this checks first.
// A host that must not die replaces os.exit after Open.
func osExit(L *lua.LState) int {
	code := lauxlib.OptInt(L, 1, 0)
	FlushAll(L)
	os.Exit(code)
	return 0
}

// osExecute is os.execute([command]): system(3)'s wait status, 1 when
// asked whether a shell exists. The command's output goes to the host's
// output.
func osExecute(L *lua.LState) int {
	if lauxlib.IsNoneOrNil(L, 1) {
		L.Push(lua.LNumber(1))
		return 1
	}
	cmd := exec.Command("/bin/sh", "-c", lauxlib.CheckString(L, 1))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, libOf(L).out, os.Stderr
	err := cmd.Run()
	status := 0
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			status = int(ws.Signal())
		} else {
			status = exit.ExitCode() << 8
		}
	default:
		status = 127 << 8
	}
	L.Push(lua.LNumber(status))
	return 1
}

// osDate is os.date([format [, time]]): "*t" gives a table, "!" asks for
// UTC, and every other conversion is C's strftime in the C locale.
func osDate(L *lua.LState) int {
	format := lauxlib.OptString(L, 1, "%c")
	secs := time.Now().Unix()
	if !lauxlib.IsNoneOrNil(L, 2) {
		secs = number.ToInteger(lauxlib.CheckNumber(L, 2))
	}
	t := time.Unix(secs, 0)
	utc := strings.HasPrefix(format, "!")
	if utc {
		format = format[1:]
		t = t.UTC()
	} else {
		t = t.In(time.Local)
	}
	if y := int64(t.Year()) - 1900; y > math.MaxInt32 || y < math.MinInt32 || t.Unix() != secs {
		L.Push(lua.LNil) // gmtime/localtime fail: the year does not fit tm_year
		return 1
	}
	if strings.HasPrefix(format, "*t") {
		tb := L.NewTable()
		tb.RawSetString("sec", lua.LNumber(t.Second()))
		tb.RawSetString("min", lua.LNumber(t.Minute()))
		tb.RawSetString("hour", lua.LNumber(t.Hour()))
		tb.RawSetString("day", lua.LNumber(t.Day()))
		tb.RawSetString("month", lua.LNumber(t.Month()))
		tb.RawSetString("year", lua.LNumber(t.Year()))
		tb.RawSetString("wday", lua.LNumber(t.Weekday()+1))
		tb.RawSetString("yday", lua.LNumber(t.YearDay()))
		tb.RawSetString("isdst", lua.LBool(t.IsDST()))
		L.Push(tb)
		return 1
	}
	format = number.CString(format)
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		b.WriteString(strftime(format[i], t, utc))
	}
	L.Push(lua.LString(b.String()))
	return 1
}

var (
	dayNames   = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
)

// strftime is one glibc strftime conversion in the C locale.
func strftime(c byte, t time.Time, utc bool) string {
	wday := int(t.Weekday())
	yday := t.YearDay() - 1
	hour12 := t.Hour() % 12
	if hour12 == 0 {
		hour12 = 12
	}
	switch c {
	case 'a':
		return dayNames[wday][:3]
	case 'A':
		return dayNames[wday]
	case 'b', 'h':
		return monthNames[t.Month()-1][:3]
	case 'B':
		return monthNames[t.Month()-1]
	case 'c':
		return fmt.Sprintf("%s %s %2d %02d:%02d:%02d %d", dayNames[wday][:3], monthNames[t.Month()-1][:3],
			t.Day(), t.Hour(), t.Minute(), t.Second(), t.Year())
	case 'C':
		return fmt.Sprintf("%02d", t.Year()/100)
	case 'd':
		return fmt.Sprintf("%02d", t.Day())
	case 'D', 'x':
		return fmt.Sprintf("%02d/%02d/%02d", t.Month(), t.Day(), t.Year()%100)
	case 'e':
		return fmt.Sprintf("%2d", t.Day())
	case 'F':
		return fmt.Sprintf("%d-%02d-%02d", t.Year(), t.Month(), t.Day())
	case 'g':
		y, _ := t.ISOWeek()
		return fmt.Sprintf("%02d", y%100)
	case 'G':
		y, _ := t.ISOWeek()
		return fmt.Sprint(y)
	case 'H':
		return fmt.Sprintf("%02d", t.Hour())
	case 'I':
		return fmt.Sprintf("%02d", hour12)
	case 'j':
		return fmt.Sprintf("%03d", yday+1)
	case 'k':
		return fmt.Sprintf("%2d", t.Hour())
	case 'l':
		return fmt.Sprintf("%2d", hour12)
	case 'm':
		return fmt.Sprintf("%02d", t.Month())
	case 'M':
		return fmt.Sprintf("%02d", t.Minute())
	case 'n':
		return "\n"
	case 'p':
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case 'P':
		if t.Hour() < 12 {
			return "am"
		}
		return "pm"
	case 'r':
		return fmt.Sprintf("%02d:%02d:%02d %s", hour12, t.Minute(), t.Second(), strftime('p', t, utc))
	case 'R':
		return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute())
	case 's':
		return fmt.Sprint(t.Unix())
	case 'S':
		return fmt.Sprintf("%02d", t.Second())
	case 't':
		return "\t"
	case 'T', 'X':
		return fmt.Sprintf("%02d:%02d:%02d", t.Hour(), t.Minute(), t.Second())
	case 'u':
		return fmt.Sprint((wday+6)%7 + 1)
	case 'U':
		return fmt.Sprintf("%02d", (yday+7-wday)/7)
	case 'V':
		_, w := t.ISOWeek()
		return fmt.Sprintf("%02d", w)
	case 'w':
		return fmt.Sprint(wday)
	case 'W':
		return fmt.Sprintf("%02d", (yday+7-(wday+6)%7)/7)
	case 'y':
		return fmt.Sprintf("%02d", t.Year()%100)
	case 'Y':
		return fmt.Sprint(t.Year())
	case 'z':
		_, off := t.Zone()
		sign := '+'
		if off < 0 {
			sign, off = '-', -off
		}
		return fmt.Sprintf("%c%02d%02d", sign, off/3600, off%3600/60)
	case 'Z':
		if utc {
			return "GMT"
		}
		name, _ := t.Zone()
		return name
	case '%':
		return "%"
	}
	return "%" + string(c)
}
