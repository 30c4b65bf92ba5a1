-- msys.gauge_cache: bounded caches of counters with a time to live.

local gc = require("msys.gauge_cache")
local clock = require("test.clock")

function TestIncDecGet(t)
  gc.define("conns", 100, 60)
  t:eq(gc.inc("conns", "10.0.0.1"), 1, "inc returns the value")
  t:eq(gc.inc("conns", "10.0.0.1"), 2, "second inc")
  t:eq(gc.dec("conns", "10.0.0.1"), 1, "dec")
  t:eq(gc.get("conns", "10.0.0.1"), 1, "get")
  t:eq(gc.get("conns", "10.9.9.9"), 0, "missing key")
  t:eq(gc.remove_item("conns", "10.0.0.1"), true, "remove")
  t:eq(gc.remove_item("conns", "10.0.0.1"), false, "remove again")
  t:eq(gc.get("conns", "10.0.0.1"), 0, "removed")
end

function TestTTL(t)
  gc.define("short", 10, 30)
  gc.inc("short", "k")
  clock.advance(20)
  gc.inc("short", "k") -- a change renews the entry
  clock.advance(20)
  t:eq(gc.get("short", "k"), 2, "alive 20s after its last change")
  clock.advance(15)
  t:eq(gc.get("short", "k"), 0, "expired 30s after its last change")
  t:eq(gc.inc("short", "k"), 1, "starts afresh")
end

function TestBound(t)
  gc.define("tiny", 2, 0)
  gc.inc("tiny", "a")
  gc.inc("tiny", "b")
  gc.inc("tiny", "a") -- a is now the most recently changed
  gc.inc("tiny", "c") -- pushes out b
  t:eq(gc.get("tiny", "b"), 0, "oldest dropped")
  t:eq(gc.get("tiny", "a"), 2, "a kept")
  t:eq(gc.get("tiny", "c"), 1, "c added")
end

function TestRedefineKeepsEntries(t)
  gc.define("kept", 10, 60)
  gc.inc("kept", "x")
  gc.define("kept", 20, 120)
  t:eq(gc.get("kept", "x"), 1, "a reload's define keeps the counts")
end

function TestErrors(t)
  local ok, err = pcall(gc.inc, "undefined", "k")
  if ok or not string.find(err, "no cache named 'undefined'", 1, true) then t:error(tostring(err)) end
  ok, err = pcall(gc.define, "bad", 0, 1)
  if ok or not string.find(err, "bad argument #2 to '?' (at least one element expected)", 1, true) then t:error(tostring(err)) end
end
