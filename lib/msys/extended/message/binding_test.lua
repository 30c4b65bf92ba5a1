-- msg:binding and msg:binding_group against the bindings of the config
-- (binding_test.go): Binding "mydomain", Binding_Group "outbound" with
-- out1 and out2, an empty Binding_Group "none".

function TestBindingChecked(t)
  local msg = msys.core.ec_message_new(nil)
  t:eq(msg:binding("mydomain"), "mydomain", "declared binding")
  t:eq(msg:binding("nosuch"), nil, "undeclared binding")
  t:eq(msg:binding(), "mydomain", "an undeclared name changes nothing")
  t:eq(msg:binding("out2"), "out2", "binding inside a group")
  t:eq(msg:binding("default"), "default", "default always exists")
  t:eq(msg:binding("outbound"), nil, "a group is no binding")
end

function TestBindingGroupChecked(t)
  local msg = msys.core.ec_message_new(nil)
  t:eq(msg:binding_group("nosuch"), nil, "undeclared group")
  t:eq(msg:binding_group(), nil, "nothing set")
  t:eq(msg:binding_group("outbound"), "outbound", "declared group")
  t:eq(msg:binding(), "out1", "the group's first binding")
  t:eq(msg:binding_group("none"), "none", "a group without bindings")
  t:eq(msg:binding(), "out1", "keeps the binding it had")
end
