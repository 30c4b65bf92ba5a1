-- Strings, escapes, long brackets and comments.
print("tab\tnew\\n quote\" apos\' bell-less")
print('single "double" inside', "double 'single' inside")
print("\65\066\0671", "\1230" == "{0")
print("line\
continued")
print([[long
string]], [==[with ]] inside]==], [[
leading newline dropped]])
print(#[[

]])
--[[ a long
comment ]] print("after long comment")
--[==[ another
]] still comment
]==] print("after level-2 comment")
-- short comment with [[ brackets
print("x" --[[ inline ]] .. "y")
print(#"\0\0", ("a\0b"):len())
print(string.byte("A"), string.char(72, 105))
print(("hello world"):find("o w"), ("hello"):gsub("l", "L"))
