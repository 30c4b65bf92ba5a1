-- thread.mutex within one state.

require("thread")

local function eq(t, got, want, what)
  if got ~= want then t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want))) end
end

function TestNormal(t)
  local m = thread.mutex()
  eq(t, m:lock(), true, "lock")
  local ok, err = pcall(m.lock, m)
  if ok or not string.find(err, "already holds the mutex", 1, true) then t:error("relock: " .. tostring(err)) end
  eq(t, m:trylock(), false, "trylock while held")
  eq(t, m:unlock(), true, "unlock")
  eq(t, m:trylock(), true, "trylock when free")
  m:unlock()
  ok, err = pcall(m.unlock, m)
  if ok or not string.find(err, "does not hold the mutex", 1, true) then t:error("unlock when free: " .. tostring(err)) end
end

function TestRecursive(t)
  local m = thread.mutex(thread.MUTEX_RECURSIVE)
  m:lock()
  m:lock()
  eq(t, m:trylock(), true, "trylock by the holder")
  m:unlock()
  m:unlock()
  m:unlock()
  local ok = pcall(m.unlock, m)
  eq(t, ok, false, "one unlock too many")
end

function TestErrorCheck(t)
  local m = thread.mutex(thread.MUTEX_ERRORCHECK)
  m:lock()
  local v, err = m:lock()
  eq(t, v, nil, "relock value")
  eq(t, err, "resource deadlock avoided", "relock error")
  m:unlock()
  v, err = m:unlock()
  eq(t, err, "operation not permitted", "unlock when free")
  eq(t, msys.type(m), "thread:_mutex", "class")
  local ok, e = pcall(thread.mutex, 9)
  if ok or not string.find(e, "bad argument #1 to '?'", 1, true) then t:error(tostring(e)) end
end

-- A mutex belongs to the Lua state, coroutines included: locked in a
-- coroutine, it is unlocked by the main code.
function TestCoroutineSharesTheStatesMutex(t)
  local m = thread.mutex()
  local co = coroutine.create(function() m:lock() end)
  assert(coroutine.resume(co))
  local ok, err = pcall(m.lock, m)
  if ok or not string.find(err, "already holds the mutex", 1, true) then t:error("relock after a coroutine locked: " .. tostring(err)) end
  eq(t, m:unlock(), true, "unlock in the main code")
end
