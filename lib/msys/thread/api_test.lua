-- thread.mutex within one state.

require("thread")

function TestNormal(t)
  local m = thread.mutex()
  t:eq(m:lock(), true, "lock")
  local ok, err = pcall(m.lock, m)
  if ok or not string.find(err, "already holds the mutex", 1, true) then t:error("relock: " .. tostring(err)) end
  t:eq(m:trylock(), false, "trylock while held")
  t:eq(m:unlock(), true, "unlock")
  t:eq(m:trylock(), true, "trylock when free")
  m:unlock()
  ok, err = pcall(m.unlock, m)
  if ok or not string.find(err, "does not hold the mutex", 1, true) then t:error("unlock when free: " .. tostring(err)) end
end

function TestRecursive(t)
  local m = thread.mutex(thread.MUTEX_RECURSIVE)
  m:lock()
  m:lock()
  t:eq(m:trylock(), true, "trylock by the holder")
  m:unlock()
  m:unlock()
  m:unlock()
  local ok = pcall(m.unlock, m)
  t:eq(ok, false, "one unlock too many")
end

function TestErrorCheck(t)
  local m = thread.mutex(thread.MUTEX_ERRORCHECK)
  m:lock()
  local v, err = m:lock()
  t:eq(v, nil, "relock value")
  t:eq(err, "resource deadlock avoided", "relock error")
  m:unlock()
  v, err = m:unlock()
  t:eq(err, "operation not permitted", "unlock when free")
  t:eq(msys.type(m), "thread:_mutex", "class")
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
  t:eq(m:unlock(), true, "unlock in the main code")
end
