-- msys.counter: one namespace of named counters per host.

local counter = require("msys.counter")

local function eq(t, got, want, what)
  if got ~= want then t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want))) end
end

local function raises(t, f, want, what)
  local ok, err = pcall(f)
  if ok then t:error(what .. ": no error")
  elseif not string.find(tostring(err), want, 1, true) then t:error(what .. ": " .. tostring(err)) end
end

function TestHandlesAndPaths(t)
  local h = counter.open("/site/test/errors")
  eq(t, counter.read(h), 0, "new counter")
  counter.inc(h)
  counter.inc("/site/test/errors")
  counter.add(h, 5)
  counter.add("/site/test/errors", -2)
  eq(t, counter.read(h), 5, "handle and path reach one counter")
  eq(t, counter.read("/site/test/errors"), 5, "read by path")
  eq(t, msys.type(h), "msys.counter:_counter", "class")
  eq(t, tostring(h), "counter: /site/test/errors", "tostring")
  counter.reset(h)
  eq(t, counter.read(h), 0, "reset")
  eq(t, counter.read("/site/test/never_touched"), 0, "a path read creates the counter at 0")
end

function TestRelaxed(t)
  local a = counter.open("/site/test/relaxed", counter.RELAXED)
  local b = counter.open("/site/test/relaxed", counter.RELAXED)
  local s = counter.open("/site/test/relaxed")
  counter.add(a, 3)
  counter.add(b, 4)
  counter.inc(s)
  eq(t, counter.read(a), 8, "relaxed handles are summed on read")
  eq(t, counter.read("/site/test/relaxed"), 8, "by path")
  counter.reset("/site/test/relaxed")
  eq(t, counter.read(b), 0, "reset clears every handle's share")
  eq(t, counter.STRICT ~= counter.RELAXED, true, "distinct semantics")
end

function TestUnlink(t)
  local old = counter.open("/site/test/gone")
  counter.add(old, 10)
  counter.unlink("/site/test/gone")
  eq(t, counter.read("/site/test/gone"), 0, "the path starts afresh")
  eq(t, counter.read(old), 10, "an old handle keeps its counter")
end

function TestBadArguments(t)
  raises(t, function() counter.open("no/slash") end, "bad argument #1 to 'open' (counter path expected", "relative path")
  raises(t, function() counter.open("/site/x", 7) end, "bad argument #2 to 'open' (msys.counter.STRICT or RELAXED expected)", "semantics")
  raises(t, function() counter.inc({}) end, "bad argument #1 to 'inc' (counter or counter path expected, got table)", "table")
  raises(t, function() counter.add("/site/x") end, "bad argument #2 to 'add' (number expected, got no value)", "no delta")
end
