-- Varargs, select, unpack and multiple results.
local function count(...) return select("#", ...) end
print("count", count(), count(nil), count(nil, nil), count(1, nil, 3, nil))
print("select", select(2, "a", "b", "c"), select(-1, "a", "b", "c"), select(-3, "a", "b", "c"))
print("select2", select(3, "a", "b"), select("#"), select(1.9, "x", "y"), select("2", "x", "y"))
print("select-err1", pcall(select, 0, 1))
print("select-err2", pcall(select, -5, 1))
print("select-err3", pcall(select, "x", 1))
print("select-err4", pcall(select))
print("select-hash", select("#x", 1, 2))
local function pack(...) return {n = select("#", ...), ...} end
local p = pack(1, nil, 3)
print("pack", p.n, p[1], p[2], p[3])
local function tail(...) return ... end
print("tail", tail(1, 2, 3), (tail(1, 2, 3)))
print("middle", tail(1, 2), tail(3, 4))
local t = {tail(1, 2), tail(3, 4)}
print("ctor", #t, t[1], t[2], t[3])
local function va(...)
  local a, b = ...
  local arg1 = ({...})[1]
  return a, b, arg1, select("#", ...)
end
print("va", va(9, 8, 7))
print("unpack", unpack({1, 2, 3}), unpack({1, nil, 3}, 1, 3))
local function sum(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + (select(i, ...) or 0) end
  return s
end
print("sum", sum(1, 2, 3.5, nil, 4), sum())
print("string-args", string.format("%s-%s", tail("a", "b", "c")))
print("math-args", math.max(tail(3, 9, 2)), math.min(unpack({5, 4, 6})))
local function rec(n, ...) if n == 0 then return select("#", ...) end return rec(n - 1, n, ...) end
print("rec", rec(50))
