-- msg:binding and msg:binding_group against the bindings of the config
-- (binding_test.go): Binding "mydomain", Binding_Group "outbound" with
-- out1 and out2, an empty Binding_Group "none".

local function eq(t, got, want, what)
  if got ~= want then
    t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)))
  end
end

function TestBindingChecked(t)
  local msg = msys.core.ec_message_new(nil)
  eq(t, msg:binding("mydomain"), "mydomain", "declared binding")
  eq(t, msg:binding("nosuch"), nil, "undeclared binding")
  eq(t, msg:binding(), "mydomain", "an undeclared name changes nothing")
  eq(t, msg:binding("out2"), "out2", "binding inside a group")
  eq(t, msg:binding("default"), "default", "default always exists")
  eq(t, msg:binding("outbound"), nil, "a group is no binding")
end

function TestBindingGroupChecked(t)
  local msg = msys.core.ec_message_new(nil)
  eq(t, msg:binding_group("nosuch"), nil, "undeclared group")
  eq(t, msg:binding_group(), nil, "nothing set")
  eq(t, msg:binding_group("outbound"), "outbound", "declared group")
  eq(t, msg:binding(), "out1", "the group's first binding")
  eq(t, msg:binding_group("none"), "none", "a group without bindings")
  eq(t, msg:binding(), "out1", "keeps the binding it had")
end
