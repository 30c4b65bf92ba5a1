-- msys.counter: one namespace of named counters per host.

local counter = require("msys.counter")

function TestHandlesAndPaths(t)
  local h = counter.open("/site/test/errors")
  t:eq(counter.read(h), 0, "new counter")
  counter.inc(h)
  counter.inc("/site/test/errors")
  counter.add(h, 5)
  counter.add("/site/test/errors", -2)
  t:eq(counter.read(h), 5, "handle and path reach one counter")
  t:eq(counter.read("/site/test/errors"), 5, "read by path")
  t:eq(msys.type(h), "msys.counter:_counter", "class")
  t:eq(tostring(h), "counter: /site/test/errors", "tostring")
  counter.reset(h)
  t:eq(counter.read(h), 0, "reset")
  t:eq(counter.read("/site/test/never_touched"), 0, "a path read creates the counter at 0")
end

function TestRelaxed(t)
  local a = counter.open("/site/test/relaxed", counter.RELAXED)
  local b = counter.open("/site/test/relaxed", counter.RELAXED)
  local s = counter.open("/site/test/relaxed")
  counter.add(a, 3)
  counter.add(b, 4)
  counter.inc(s)
  t:eq(counter.read(a), 8, "relaxed handles are summed on read")
  t:eq(counter.read("/site/test/relaxed"), 8, "by path")
  counter.reset("/site/test/relaxed")
  t:eq(counter.read(b), 0, "reset clears every handle's share")
  t:eq(counter.STRICT ~= counter.RELAXED, true, "distinct semantics")
end

function TestUnlink(t)
  local old = counter.open("/site/test/gone")
  counter.add(old, 10)
  counter.unlink("/site/test/gone")
  t:eq(counter.read("/site/test/gone"), 0, "the path starts afresh")
  t:eq(counter.read(old), 10, "an old handle keeps its counter")
end

function TestBadArguments(t)
  t:raises(function() counter.open("no/slash") end, "bad argument #1 to 'open' (counter path expected", "relative path")
  t:raises(function() counter.open("/site/x", 7) end, "bad argument #2 to 'open' (msys.counter.STRICT or RELAXED expected)", "semantics")
  t:raises(function() counter.inc({}) end, "bad argument #1 to 'inc' (counter or counter path expected, got table)", "table")
  t:raises(function() counter.add("/site/x") end, "bad argument #2 to 'add' (number expected, got no value)", "no delta")
end
