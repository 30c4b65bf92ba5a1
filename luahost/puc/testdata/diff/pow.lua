-- ^ as PUC runs it: C's pow (negative NaN), numeric strings read with
-- strtod, __pow, PUC's error words. luahost/dialect lowers ^ onto puc.Pow
-- unless gopher-lua folds two constants to the same number.
local nn, third = -8, 1 / 3
print("pow-const", 2 ^ 10, 2 ^ 0.5, 2 ^ -1, 10 ^ 300 * 10 ^ 300)
print("pow-nan-const", (-8) ^ (1 / 3), (-2) ^ 0.5)
print("pow-nan", nn ^ third, (-0.5) ^ 1.5)
print("pow-prec", -2 ^ 2, 2 ^ 3 ^ 2, -nn ^ 2)
print("pow-str", "2" ^ "3", "0x10" ^ 1, " 3 " ^ 2, "0x1.8" ^ 2)
print("pow-inf", 2 ^ 1024, (-2) ^ 1025, 0 ^ -1, nn ^ (1 / 0))
print("pow-meta", setmetatable({}, {__pow = function(p, q) return "P" end}) ^ 2,
  2 ^ setmetatable({}, {__pow = function(p, q) return "Q" end}))
print("pow-err-table", pcall(function() return nn ^ {} end))
print("pow-err-nil", pcall(function() return nil ^ 2 end))
print("pow-err-local", pcall(function() local s = "a" return s ^ 2 end))
print("pow-err-global", pcall(function() return 2 ^ undefinedpow end))
print("pow-err-field", pcall(function() local t = {} return t.x ^ 2 end))
print("pow-call", math.sqrt(2) ^ 2, select("#", 2 ^ (function() return 1, 2 end)()))
