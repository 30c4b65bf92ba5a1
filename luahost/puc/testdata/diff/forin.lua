-- A generic for over something that cannot be called: PUC's words, at the
-- line of the first token after 'in'.
print("number", pcall(function()
  local t = 5
  for k in t do end
end))
print("nil on the next line", pcall(function()
  for k, v in
     nil do
  end
end))
print("table", pcall(function() for k in {} do end end))
print("string", pcall(function() for k in ("x"), 1 do end end))
print("call result", pcall(function() local function f() return 42 end for k in f() do end end))
print("__call", pcall(function()
  local gen = setmetatable({}, {__call = function(self, s, c) if not c then return "once" end end})
  for k in gen do print("iter", k) end
end))
print("later iteration", pcall(function()
  local n = 0
  local function gen() n = n + 1 if n < 3 then return n end end
  for k in gen do print("k", k) end
  for k in
    gen, nil, nil do end
  local f = nil
  for k in f do end
end))
print("pairs of nil", pcall(function() for k in pairs(nil) do end end))
