-- load(reader) reads pieces as the compiler needs them: a syntax error
-- stops the reading; errors of the reader are load's result.
local function reader(s, size)
  local i, calls = 1, 0
  return function()
    calls = calls + 1
    local piece = s:sub(i, i + size - 1)
    i = i + size
    return piece
  end, function() return calls end
end
for _, size in ipairs({1, 3, 100}) do
  local r, calls = reader("*a = 123", size)
  print("bad", size, load(r)) print("calls", calls())
  r, calls = reader("x = = 1 -- and more text after the error", size)
  print("bad2", size, load(r, "=named")) print("calls", calls())
  r, calls = reader("return 1 + 2, 'three'", size)
  local f = load(r)
  print("good", size, f(), calls())
  r, calls = reader("local t = {\n  1, 2,\n  3 } return #t", size)
  f = load(r, "@tbl.lua")
  print("good2", size, f(), calls())
end
print("nil ends", type(load(function() return nil end)))
local n = 0
print("empty ends", load(function() n = n + 1 if n == 1 then return "return 'stop'" end return "" end)(), n)
print("error", pcall(load, function() error("reader broke") end))
print("error object", select(2, pcall(load, function() error({}) end)) == nil)
print("not a string", pcall(load, function() return {} end))
print("not a string here", pcall(function() local f, e = load(function() return {} end) return f, e end))
print("empty piece ends", type(load(function() n = n + 1 if n < 5 then return "" end return nil end)))
local pieces = {"ret", "urn ", 4, 2, nil}
local k = 0
print("numbers join", load(function() k = k + 1 return pieces[k] end)())
