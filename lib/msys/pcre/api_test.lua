-- msys.pcre: PCRE semantics (what Go's regexp cannot do is checked too).

local pcre = require("msys.pcre")

local function eq(t, got, want, what)
  if got ~= want then
    t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)))
  end
end

function TestMatch(t)
  local m = pcre.match("order 12345 shipped", "(\\d+) (\\w+)")
  eq(t, m[0], "12345 shipped", "whole match at [0]")
  eq(t, m[1], "12345", "capture 1")
  eq(t, m[2], "shipped", "capture 2")
  eq(t, pcre.match("nothing here", "\\d"), nil, "no match")
  m = pcre.match("user+detail@example.com", "^(?P<user>[^+@]+)(\\+(?P<detail>[^@]*))?@(?P<domain>.+)$")
  eq(t, m.user, "user", "named capture")
  eq(t, m.detail, "detail", "optional named capture")
  eq(t, m.domain, "example.com", "named domain")
  eq(t, m[4], "example.com", "named captures are numbered too")
  m = pcre.match("plain@example.com", "^(?P<user>[^+@]+)(\\+(?P<detail>[^@]*))?@")
  eq(t, m.detail, nil, "a capture that took no part is absent")
  eq(t, m[2], nil, "absent by number too")
end

function TestPCREOnlyFeatures(t)
  eq(t, pcre.match("price: 100 USD", "\\d+(?= USD)")[0], "100", "lookahead")
  eq(t, pcre.match("foofoo bar", "(foo)\\1")[0], "foofoo", "backreference")
  eq(t, pcre.match("aaa", "a++")[0], "aaa", "possessive quantifier")
  eq(t, pcre.match("ac", "(?<!a)c"), nil, "negative lookbehind fails")
  eq(t, pcre.match("xbc", "(?<!a)bc")[0], "bc", "negative lookbehind")
  eq(t, pcre.match("HeLLo", "(?i)hello")[0], "HeLLo", "inline caseless")
  eq(t, pcre.match("a\nb", "^b$"), nil, "no multiline by default")
  eq(t, pcre.match("a\nb", "(?m)^b$")[0], "b", "(?m)")
end

function TestCompileErrors(t)
  local m, err, num = pcre.match("x", "(unclosed")
  eq(t, m, nil, "value")
  if type(err) ~= "string" or not string.find(err, "missing closing parenthesis", 1, true) then
    t:error("errstr: " .. tostring(err))
  end
  eq(t, num, 9, "errnum is the offset PCRE reports")
  local r, rerr = pcre.replace("x", "[", "y")
  eq(t, r, nil, "replace with a bad pattern")
  if type(rerr) ~= "string" then t:error("replace error: " .. tostring(rerr)) end
  local ok, e = pcall(pcre.match, "x")
  if ok or not string.find(e, "bad argument #2 to '?' (string expected, got no value)", 1, true) then
    t:error("missing pattern: " .. tostring(e))
  end
end

function TestReplace(t)
  eq(t, pcre.replace("a1b22c333", "\\d+", "#"), "a#b#c#", "every match")
  eq(t, pcre.replace("John Smith", "(\\w+) (\\w+)", "$2, $1"), "Smith, John", "numbered captures")
  eq(t, pcre.replace("John Smith", "(?P<f>\\w+) (?P<l>\\w+)", "${l}-$f"), "Smith-John", "named captures")
  eq(t, pcre.replace("cost 5", "(\\d)", "$$$1"), "cost $5", "$$ is a dollar")
  eq(t, pcre.replace("unchanged", "zzz", "y"), "unchanged", "no match")
  eq(t, pcre.replace(12.5, "\\.", ","), "12,5", "a number subject reads as PUC prints it")
end

function TestSplit(t)
  local l = pcre.split("a, b,c ,  d", "\\s*,\\s*")
  eq(t, #l, 4, "pieces")
  eq(t, l[1] .. "|" .. l[2] .. "|" .. l[3] .. "|" .. l[4], "a|b|c|d", "content")
  l = pcre.split("line1\nline2\n\n", "\\n")
  eq(t, #l, 2, "trailing empty pieces dropped")
  l = pcre.split("x,,y", ",")
  eq(t, #l, 3, "inner empty pieces kept")
  eq(t, l[2], "", "the empty piece")
  eq(t, #pcre.split("", ","), 0, "empty subject")
end

function TestCacheKeepsResultsApart(t)
  -- The same pattern many times, and many patterns: a cached pattern must
  -- not carry one subject into the next.
  for i = 1, 300 do
    local m = pcre.match("n=" .. i, "n=(\\d+)")
    eq(t, m[1], tostring(i), "cached match " .. i)
    eq(t, pcre.match("v" .. i, "v" .. i .. "$")[0], "v" .. i, "distinct pattern " .. i)
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
