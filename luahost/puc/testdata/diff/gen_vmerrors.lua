-- Generated snippets that fail in the VM (indexing, calling, arithmetic,
-- length, comparison on the wrong values), run through loadstring and
-- pcall: the messages must name the same variable as PUC's.
local seed = 2024
local function rnd(n)
  seed = (seed * 16807) % 2147483647
  return seed % n
end
local values = {"nil", "1", "'s'", "true", "{}", "{a = {}}", "'10'", "print"}
local vars = {"loc", "up", "glob", "t.fld", "t.a.b", "t[k]", "t[1]"}
local ops = {
  function(x) return "return " .. x .. ".key" end,
  function(x) return "return " .. x .. "[1]" end,
  function(x) return x .. ".key = 1" end,
  function(x) return "return " .. x .. "()" end,
  function(x) return "return " .. x .. ":m()" end,
  function(x) return "return " .. x .. " + 1" end,
  function(x) return "return 2 * " .. x end,
  function(x) return "return -" .. x end,
  function(x) return "return #" .. x end,
  function(x) return "return " .. x .. " < 1" end,
  function(x) return "return " .. x .. " .. 'x'" end,
  function(x) return "return " .. x .. " % " .. x end,
  function(x) return "local r = " .. x .. " ^ 2 return r" end,
  function(x) return "for i = 1, " .. x .. " do end" end,
}
for i = 1, 400 do
  local v = values[rnd(#values) + 1]
  local var = vars[rnd(#vars) + 1]
  local op = rnd(#ops) + 1
  if op == #ops and v == "'10'" then
    v = "'s'" -- PUC's for coerces numeric strings, gopher-lua's does not (DIFFERENCES.md)
  end
  local body = ops[op](var)
  local src = "local up = " .. v .. "\nglob = " .. v .. "\nlocal t = {fld = " .. v .. ", a = {b = " .. v .. "}, [1] = " .. v ..
    "}\nlocal k = 'fld'\nreturn function() local loc = " .. v .. " " .. body .. " end"
  local maker, err = loadstring(src, "=gen" .. i)
  if maker then
    print("g" .. i, v, body, pcall(maker()))
  else
    print("g" .. i, "compile error", err)
  end
end
