-- os.time, os.date and os.clock with fixed times (the test runs TZ=UTC).
local t0 = 86400 * 365 + 3600 * 5 + 60 * 7 + 9
local times = {0, t0, 1000000000, 1234567890, 951782400, 1700000000, -86400, 2000000000}
local convs = "aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ%"
for i, t in ipairs(times) do
  local parts = {}
  for c in convs:gmatch(".") do parts[#parts + 1] = c .. "=" .. os.date("%" .. c, t) end
  print("date" .. i, table.concat(parts, "|"))
  print("udate" .. i, os.date("!%Y-%m-%d %H:%M:%S %Z", t), os.date("!%c", t))
end
local d = os.date("*t", t0)
print("star-t", d.year, d.month, d.day, d.hour, d.min, d.sec, d.wday, d.yday, d.isdst)
d = os.date("!*t", 1234567890)
print("star-t-utc", d.year, d.month, d.day, d.hour, d.min, d.sec, d.wday, d.yday, d.isdst)
print("default", #os.date() > 0, type(os.date()), os.date("", 0), os.date("plain", 0), os.date("%", 0), os.date("100%%", 0))
print("time-table", os.time({year = 2020, month = 1, day = 1, hour = 0}), os.time({year = 2020, month = 1, day = 1}))
print("time-norm", os.time({year = 2020, month = 13, day = 1, hour = 0}), os.time({year = 2020, month = 3, day = 0}))
print("time-neg", os.time({year = 2020, month = 1, day = 1, hour = -1, min = -30, sec = -5}))
print("time-str", os.time({year = "2021", month = "6", day = "15", hour = "10", min = "30", sec = "5"}))
print("time-frac", os.time({year = 2021, month = 6.9, day = 15.9}))
print("time-round", os.date("!%Y-%m-%d %H:%M:%S", os.time({year = 2000, month = 2, day = 30, hour = 25})))
print("time-err1", pcall(os.time, {year = 2020, month = 1}))
print("time-err2", pcall(os.time, {year = 2020, day = 1}))
print("time-err3", pcall(os.time, {}))
print("time-err4", pcall(os.time, 5))
print("time-now", type(os.time()), os.time() > 1600000000, os.time() == math.floor(os.time()))
print("date-frac", os.date("!%H:%M:%S", 59.9), os.date("!%H:%M:%S", "3600"))
print("date-err", pcall(os.date, "%Y", "x"))
print("date-err2", pcall(os.date, {}))
print("clock", type(os.clock()), os.clock() >= 0)
print("difftime", os.difftime(10, 5), os.difftime(10), os.difftime("7", "2"))
print("difftime-err", pcall(os.difftime))
print("getenv", os.getenv("TZ"), os.getenv("MSYSHOST_SURELY_UNSET_VARIABLE"))
print("getenv-err", pcall(os.getenv))
print("remove", os.remove("/nonexistent-msyshost/x"))
print("rename", os.rename("/nonexistent-msyshost/x", "/nonexistent-msyshost/y"))
local odd = {}
for _, c in ipairs{"Q", "E", "O", "+", "v", "1", "i", "J", "o", "q", "f", "#", "-", "_", "0", "^", "!"} do
  odd[#odd + 1] = c .. "=" .. os.date("!%" .. c, 1234567890)
end
print("unknown-conv", table.concat(odd, " "))
print("modifiers", os.date("!%Ey %Oy %EY %Od", 1234567890), os.date("!%", 0), os.date("!%%%", 0), os.date("!x%", 0))
print("range", os.date("!%c", -1e10), os.date("!%Y", 1e12), os.date("!%Y", 1e17), os.date("!%Y", 1e20), os.date("*t", 1e10).year)
print("mktime-err", os.time({year = 1969, month = 12, day = 31, hour = 23, min = 59, sec = 59}))
print("time-range", os.time({year = 1900, month = 1, day = 1}), os.time({year = 3000, month = 1, day = 1}))
print("isdst", os.time({year = 2020, month = 1, day = 1, isdst = true}), os.time({year = 2020, month = 1, day = 1, isdst = false}))
print("execute", os.execute(), os.execute("exit 3"), os.execute("true"), os.execute("kill -9 $$"))
print("exit-err", pcall(os.exit, "x"))
