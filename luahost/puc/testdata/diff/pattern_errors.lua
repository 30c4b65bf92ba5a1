-- Malformed patterns: the error texts scripts get from pcall.
local pats = {
  "%", "abc%", "[a", "[", "[^", "[a-", "[%", "(", "a(", "(()", ")", "a)", "%b", "%ba", "%f", "%fa",
  "%f[a", "%1", "(a)%2", "(a%1)", "(a)%0", "((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))",
  "[]", "[^]", "%g", "a**", "*", "+a", "?", "-", "%z", "[%z]", "[a-%%]",
}
for i, p in ipairs(pats) do
  print("find" .. i, string.format("%q", p), pcall(string.find, "abc(a)[x]%", p))
  print("match" .. i, pcall(string.match, "", p))
  print("gsub" .. i, pcall(string.gsub, "a(b)c", p, "x"))
  print("gmatch" .. i, pcall(function() local n = 0; for _ in ("aa"):gmatch(p) do n = n + 1; if n > 5 then break end end; return n end))
end
local ok, e = pcall(function() return ("x"):find("%") end)
print("pos", ok, e)
ok, e = pcall(function() return ("x"):match("(") end)
print("pos2", ok, e)
