-- A console command from Lua: what it prints is the command's answer.
local m = {}
function m:init()
  msys.registerControl("greet", function(cc)
    local words = {}
    for i = 1, cc.argc - 1 do words[#words + 1] = cc.argv[i] end
    print("hello " .. table.concat(words, "|") .. " (argc " .. cc.argc .. ", argv[0] " .. cc.argv[0] .. ")")
  end)
  return true
end
msys.registerModule("console_control", m)
