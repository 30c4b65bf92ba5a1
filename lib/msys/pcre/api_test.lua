-- msys.pcre: PCRE semantics (what Go's regexp cannot do is checked too).

local pcre = require("msys.pcre")

function TestMatch(t)
  local m = pcre.match("order 12345 shipped", "(\\d+) (\\w+)")
  t:eq(m[0], "12345 shipped", "whole match at [0]")
  t:eq(m[1], "12345", "capture 1")
  t:eq(m[2], "shipped", "capture 2")
  t:eq(pcre.match("nothing here", "\\d"), nil, "no match")
  m = pcre.match("user+detail@example.com", "^(?P<user>[^+@]+)(\\+(?P<detail>[^@]*))?@(?P<domain>.+)$")
  t:eq(m.user, "user", "named capture")
  t:eq(m.detail, "detail", "optional named capture")
  t:eq(m.domain, "example.com", "named domain")
  t:eq(m[4], "example.com", "named captures are numbered too")
  m = pcre.match("plain@example.com", "^(?P<user>[^+@]+)(\\+(?P<detail>[^@]*))?@")
  t:eq(m.detail, nil, "a capture that took no part is absent")
  t:eq(m[2], nil, "absent by number too")
end

function TestPCREOnlyFeatures(t)
  t:eq(pcre.match("price: 100 USD", "\\d+(?= USD)")[0], "100", "lookahead")
  t:eq(pcre.match("foofoo bar", "(foo)\\1")[0], "foofoo", "backreference")
  t:eq(pcre.match("aaa", "a++")[0], "aaa", "possessive quantifier")
  t:eq(pcre.match("ac", "(?<!a)c"), nil, "negative lookbehind fails")
  t:eq(pcre.match("xbc", "(?<!a)bc")[0], "bc", "negative lookbehind")
  t:eq(pcre.match("HeLLo", "(?i)hello")[0], "HeLLo", "inline caseless")
  t:eq(pcre.match("a\nb", "^b$"), nil, "no multiline by default")
  t:eq(pcre.match("a\nb", "(?m)^b$")[0], "b", "(?m)")
end

function TestCompileErrors(t)
  local m, err, num = pcre.match("x", "(unclosed")
  t:eq(m, nil, "value")
  if type(err) ~= "string" or not string.find(err, "missing closing parenthesis", 1, true) then
    t:error("errstr: " .. tostring(err))
  end
  t:eq(num, 9, "errnum is the offset PCRE reports")
  local r, rerr = pcre.replace("x", "[", "y")
  t:eq(r, nil, "replace with a bad pattern")
  if type(rerr) ~= "string" then t:error("replace error: " .. tostring(rerr)) end
  local ok, e = pcall(pcre.match, "x")
  if ok or not string.find(e, "bad argument #2 to '?' (string expected, got no value)", 1, true) then
    t:error("missing pattern: " .. tostring(e))
  end
end

function TestReplace(t)
  t:eq(pcre.replace("a1b22c333", "\\d+", "#"), "a#b#c#", "every match")
  t:eq(pcre.replace("John Smith", "(\\w+) (\\w+)", "$2, $1"), "Smith, John", "numbered captures")
  t:eq(pcre.replace("John Smith", "(?P<f>\\w+) (?P<l>\\w+)", "${l}-$f"), "Smith-John", "named captures")
  t:eq(pcre.replace("cost 5", "(\\d)", "$$$1"), "cost $5", "$$ is a dollar")
  t:eq(pcre.replace("unchanged", "zzz", "y"), "unchanged", "no match")
  t:eq(pcre.replace(12.5, "\\.", ","), "12,5", "a number subject reads as PUC prints it")
end

function TestSplit(t)
  local l = pcre.split("a, b,c ,  d", "\\s*,\\s*")
  t:eq(#l, 4, "pieces")
  t:eq(l[1] .. "|" .. l[2] .. "|" .. l[3] .. "|" .. l[4], "a|b|c|d", "content")
  l = pcre.split("line1\nline2\n\n", "\\n")
  t:eq(#l, 2, "trailing empty pieces dropped")
  l = pcre.split("x,,y", ",")
  t:eq(#l, 3, "inner empty pieces kept")
  t:eq(l[2], "", "the empty piece")
  t:eq(#pcre.split("", ","), 0, "empty subject")
end

function TestCacheKeepsResultsApart(t)
  -- The same pattern many times, and many patterns: a cached pattern must
  -- not carry one subject into the next.
  for i = 1, 300 do
    local m = pcre.match("n=" .. i, "n=(\\d+)")
    t:eq(m[1], tostring(i), "cached match " .. i)
    t:eq(pcre.match("v" .. i, "v" .. i .. "$")[0], "v" .. i, "distinct pattern " .. i)
  end
end

-- Argument errors name the function as PUC's luaL_argerror does: as the
-- caller called it (a field, a local), '?' through pcall, and self is
-- left uncounted only in a method call.
function TestArgumentErrorsNameTheFunctionAsCalled(t)
  local ok, err = pcall(pcre.match)
  if ok or not string.find(err, "bad argument #1 to '?' (string expected, got no value)", 1, true) then
    t:error("through pcall: " .. tostring(err))
  end
  local f = pcre.match
  ok, err = pcall(function() return f() end)
  if ok or not string.find(err, "bad argument #1 to 'f' (string expected, got no value)", 1, true) then
    t:error("through a local: " .. tostring(err))
  end
  -- The same three ways with a PUC library function, for comparison.
  local rep = string.rep
  local _, e1 = pcall(string.rep)
  local _, e2 = pcall(function() return rep() end)
  if not string.find(e1, "to '?'", 1, true) or not string.find(e2, "to 'rep'", 1, true) then
    t:error("string.rep: " .. e1 .. " / " .. e2)
  end
end
