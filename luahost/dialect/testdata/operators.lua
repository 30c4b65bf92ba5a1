-- Test vectors for Momentum's extended operators. Expected values follow
-- thrlua's semantics (see doc.go); check(label, got, want) and
-- checkerr(label, fn, message) are provided by operators_test.go.

-- each operator
check("and", 5 & 3, 1)
check("or", 5 | 3, 7)
check("xor", 5 ^^ 3, 6)
check("shl", 1 << 4, 16)
check("shr", 256 >> 4, 16)
check("shr is arithmetic", -16 >> 2, -4)
check("not 0", ~0, -1)
check("not 5", ~5, -6)
check("not not", ~ ~5, 5)
check("intdiv", 7 \ 2, 3)
check("intdiv floors", -7 \ 2, -4)
check("intdiv float operand", 7.5 \ 2, 3)
check("intdiv negative float", -7.5 \ 2, -4)
check("intdiv by zero", 1 \ 0, 1 / 0)
check("intdiv negative by zero", -1 \ 0, -1 / 0)
check("intdiv zero by zero is nan", (0 \ 0) ~= (0 \ 0), true)
check("ne", 1 != 2, true)
check("ne equal", 1 != 1, false)
check("ne strings", "a" != "a", false)
check("ne tilde", 1 ~= 2, true)
check("bang", !true, false)
check("bang nil", !nil, true)
check("hex operands", 0xFF & 0x0F, 15)
check("hex or", 0xF0 | 0x0F, 255)

-- precedence: | & ^^ like + -, << >> \ like * / %, left associative
check("or and", 1 | 2 & 3, 3)
check("and or", 4 & 6 | 1, 5)
check("shl plus", 1 << 2 + 1, 5)
check("plus and", 2 + 3 & 1, 1)
check("and plus", 1 & 2 + 3, 3)
check("xor chain", 5 ^^ 3 ^^ 6, 0)
check("mul shl", 2 * 3 << 1, 12)
check("shl mul", 1 << 1 * 3, 6)
check("pow shl", 2 ^ 2 << 1, 8)
check("intdiv chain", 16 \ 4 \ 2, 2)
check("minus intdiv", 10 - 4 \ 2, 8)
check("intdiv mul", 10 \ 3 * 3, 9)
check("unary minus shr", -8 >> 1, -4)
check("bnot plus", ~1 + 1, -1)
check("minus bnot", - ~5, 6)
check("and eq", 6 & 3 == 2, true)
check("ne and", 7 != 7 & 3, true)
check("or concat", 1 | 2 .. "", "3")
check("concat shl", "a" .. 1 << 2, "a4")
check("bang eq", !1 == false, true)
check("and or logical", 1 & 1 == 1 and 2 | 1 == 3 or false, true)
check("parens", (1 | 2) << (1 + 1), 12)

-- int64 conversion (C cast), shift counts modulo 64
check("truncates", 3.9 | 0, 3)
check("truncates negative", -3.9 | 0, -3)
check("shl 63", 1 << 63, -2 ^ 63)
check("shl 64", 1 << 64, 1)
check("shl -1", 1 << -1, -2 ^ 63)
check("shr 63", -1 >> 63, -1)
check("out of range", 2 ^ 63 & 1, 0)
check("big and", 2 ^ 40 + 5 & 7, 5)
check("nan", (0 / 0) | 0, -2 ^ 63)

-- numeric strings; \ with strings divides without flooring, as thrlua
check("string and", "12" & 10, 8)
check("string hex", "0x10" | 1, 17)
check("string octal", "010" | 0, 8)
check("string spaces", " 10 " & 255, 10)
check("string bnot", ~"1", -2)
check("string intdiv", "7" \ 2, 3.5)
check("intdiv string rhs", 7 \ "2", 3.5)

-- thrlua lexer: octal numerals, \x and \u escapes
check("octal literal", 0660, 432)
check("octal 010", 010, 8)
check("octal negated", -030, -24)
check("octal in concat", 010 .. 020, "816")
check("zero", 0, 0)
check("hex literal", 0x1F, 31)
check("float literal", 0.5, 1 / 2)
check("hex escape", "\x41\x62", "Ab")
check("unicode escape", "\u00e9\u20ac", "\195\169\226\130\172")

-- operators inside strings and comments stay text
check("string", "a & b | c ^^ d << e >> f \\ g ~h != i", "a & b | c ^^ d << e >> f \\ g ~h != i")
check("long string", [==[ x & y ]] ^^ z ]==], " x & y ]] ^^ z ")
check("comment", 1 -- & 2
  , 1)
check("long comment", 1 --[[ | 2 ]] , 1)
check("level comment", 1 --[==[ << ]] 2 ]==] , 1)

-- metamethods: first operand's, else second's
local mt = {
  __and = function(a, b) return "and" end,
  __or = function(a, b) return "or" end,
  __xor = function(a, b) return "xor" end,
  __shl = function(a, b) return "shl" end,
  __shr = function(a, b) return "shr" end,
  __not = function(a, b) return rawequal(a, b) and "not" or "bad" end,
  __div = function(a, b) return "div" end,
  __intdiv = function(a, b) return "intdiv" end,
}
local v = setmetatable({}, mt)
check("__and", v & 1, "and")
check("__and rhs", 1 & v, "and")
check("__or", v | 1, "or")
check("__xor", 2 ^^ v, "xor")
check("__shl", v << 1, "shl")
check("__shr", v >> 1, "shr")
check("__not", ~v, "not")
check("\\ uses __div", v \ 2, "div")
check("metamethod on string operand", "x" & v, "and")

-- concatenation through the host: PUC number formatting, __concat order
check("concat float", 0.1 + 0.2 .. "", "0.3")
check("concat big", 1e100 .. "", "1e+100")
check("concat 2^63", 2 ^ 63 .. "", "9.2233720368548e+18")
check("concat int", 1 .. 2 .. 3, "123")
check("concat inf", 1 / 0 .. "|" .. -1 / 0, "inf|-inf")
local log = {}
local C = setmetatable({}, {__concat = function(a, b)
  log[#log + 1] = type(a) .. ":" .. type(b)
  return "C"
end})
check("concat meta right to left", "a" .. C .. "b", "aC")
check("concat meta log", table.concat(log, ","), "table:string")
log = {}
check("concat meta numbers joined first", C .. 1 .. 2, "C")
check("concat meta numbers log", table.concat(log, ","), "table:string")
log = {}
check("concat meta number lhs", 1 .. C, "C")
check("concat meta number lhs log", table.concat(log, ","), "number:table")
check("parenthesised chain", ("a" .. "b") .. "c", "abc")
local function two() return "x", "y" end
check("concat call", two() .. two(), "xx")
check("concat keeps one value", select("#", (function() return 1 .. 2 end)()), 1)
check("vararg operand", (function(...) return "<" .. ... end)("a", "b"), "<a")
check("bitwise call operand", 1 | (function() return 2, 4 end)(), 3)

-- errors, named as PUC names operands
checkerr("nil operand", function() return nil & 1 end,
  "attempt to perform bitwise operation on a nil value")
checkerr("global", function() return undefined_global | 1 end,
  "attempt to perform bitwise operation on global 'undefined_global' (a nil value)")
checkerr("second operand", function() local t = {} return 1 ^^ t end,
  "attempt to perform bitwise operation on local 't' (a table value)")
checkerr("field", function() local t = {} return t.missing << 1 end,
  "attempt to perform bitwise operation on field 'missing' (a nil value)")
checkerr("bnot string", function() return ~"abc" end,
  "attempt to perform bitwise operation on a string value")
local up
checkerr("upvalue", function() return ~up end,
  "attempt to perform bitwise operation on upvalue 'up' (a nil value)")
checkerr("intdiv", function() local y return y \ 1 end,
  "attempt to perform arithmetic on local 'y' (a nil value)")
checkerr("intdiv ignores __intdiv", function()
  return setmetatable({}, {__intdiv = function() return 1 end}) \ 1
end, "attempt to perform arithmetic on a table value")
checkerr("concat global", function() return "a" .. undefined_global end,
  "attempt to concatenate global 'undefined_global' (a nil value)")
checkerr("concat local", function() local y return y .. "a" end,
  "attempt to concatenate local 'y' (a nil value)")
checkerr("concat field", function() local t = {} return "a" .. t.z .. "b" end,
  "attempt to concatenate field 'z' (a nil value)")
checkerr("concat indexed", function() local t = {} return t[1] .. 1 end,
  "attempt to concatenate field '?' (a nil value)")
checkerr("concat upvalue", function() return up .. "" end,
  "attempt to concatenate upvalue 'up' (a nil value)")
checkerr("concat table", function() return {} .. "" end,
  "attempt to concatenate a table value")
checkerr("concat boolean", function() return 1 .. true end,
  "attempt to concatenate a boolean value")
