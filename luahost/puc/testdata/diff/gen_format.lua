-- Generated string.format specs (flags, width, precision, conversion)
-- over a pool of arguments, and generated sub/byte/find calls.
local seed = 777
local function rnd(n)
  seed = (seed * 16807) % 2147483647
  return seed % n
end
local flagset = {"", "-", "+", " ", "#", "0", "-0", "+0", "- ", "#0", "-#", "+ ", "0#+", "-+ #0"}
local convs = {"d", "i", "o", "u", "x", "X", "c", "e", "E", "f", "g", "G", "s", "q"}
local pool = {0, 1, -1, 7, -7, 42.5, -0.0, 255, 65, 1e10, -1e10, 2^31, 2^53, 1/3, -2/3, 1e-7, 123456.789,
  "12", "0x1F", " 3.5 ", "abc", "a\0b", "", "hello world", "quote\"back\\slash\nnl"}
for i = 1, 400 do
  local spec = "%" .. flagset[rnd(#flagset) + 1]
  if rnd(2) == 0 then spec = spec .. rnd(25) end
  if rnd(2) == 0 then spec = spec .. "." .. rnd(20) end
  spec = spec .. convs[rnd(#convs) + 1]
  local v = pool[rnd(#pool) + 1]
  local ok, r = pcall(string.format, "[" .. spec .. "]", v)
  print("f" .. i, spec, type(v), ok, ok and string.format("%q", r) or r)
end
local s = "The quick brown fox"
for i = 1, 150 do
  local a, b = rnd(50) - 25, rnd(50) - 25
  if rnd(4) == 0 then a = a + 0.5 end
  local sub = s:sub(a, b)
  local bytes = {s:byte(a, b)}
  local needle = s:sub(rnd(20), rnd(20))
  print("s" .. i, a, b, sub, #bytes, bytes[1], s:find(needle, a, true), s:find(needle, b))
end
