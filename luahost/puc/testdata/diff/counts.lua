-- How many results each library function returns (select('#')).
local function n(...) return select("#", ...) end
local t = {}
local r = {
  n(print()), n(tostring(1)), n(tonumber("x")), n(tonumber("1", 2)), n(setmetatable({}, nil)), n(getmetatable({})),
  n(rawset({}, 1, 2)), n(rawget({}, 1)), n(rawequal(1, 1)), n(next({})), n(ipairs({})), n(pairs({})), n(select(2, 1)),
  n(unpack({})), n(type(1)), n(assert(1, 2, 3)), n(pcall(error)), n(error ~= nil), n(collectgarbage("count")),
  n(string.byte("")), n(string.byte("a", 5)), n(string.find("a", "b")), n(string.find("a", "a")), n(string.match("a", "b")),
  n(string.match("a", "(a)()")), n(string.gsub("a", "a", "b")), n(string.format("")), n(string.rep("a", 0)),
  n(table.insert(t, 1)), n(table.remove(t)), n(table.remove(t)), n(table.sort(t)), n(table.concat(t)), n(table.maxn(t)),
  n(table.getn(t)), n(math.random()), n(math.randomseed(1)), n(math.modf(1.5)), n(math.frexp(1)), n(math.max(1, 2)),
  n(os.time()), n(os.date()), n(os.clock()), n(os.getenv("X_NONE")), n(os.difftime(1, 2)), n(os.remove("/nonexist")),
  n(io.write()), n(io.type(1)), n(coroutine.running()), n(coroutine.status(coroutine.create(function() end))), n(coroutine.resume(coroutine.create(function() end))),
  n(coroutine.resume(coroutine.create(function() return 1, 2 end))), n(coroutine.wrap(function() return end)()),
  n(debug.traceback()), n(debug.getinfo(1)), n(gcinfo()), n(newproxy()), n(setfenv(function() end, {})), n(getfenv(1)),
  n(xpcall(function() end, print)), n(xpcall(function() error() end, function() end)), n(string.gmatch("", "")()),
  n(os.setlocale()), n(loadstring("x=")), n(loadstring("return")), n(table.foreach({}, print)), n(table.foreachi({}, print)),
}
print("counts", table.concat(r, " "))
