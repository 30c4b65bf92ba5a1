-- msys.policyeditor helpers with (ctx, vars, params).

require("msys.policyeditor")
local pe = msys.policyeditor

local function newctx()
  local msg = msys.core.ec_message_new(nil)
  msg:raw("From: a@example.com\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n  time\r\n\r\nbody\r\n")
  msg:mailfrom("a@example.com")
  msg:rcptto("b@example.org")
  return { ec_message = msg }, msg
end

function TestEnvelopeAndHeaders(t)
  local ctx, msg = newctx()
  local vars = {}
  t:eq(pe.get_mailfrom(ctx, vars, {}), "a@example.com", "mailfrom")
  t:eq(pe.get_rcptto(ctx, vars, {}), "b@example.org", "rcptto")
  t:eq(pe.get_header(ctx, vars, { header = "Subject" }), "café time", "decoded, one line")
  t:eq(pe.get_header(ctx, vars, { header = "X-None" }), nil, "absent")
  t:eq(pe.del_header(ctx, vars, { header = "Subject" }), "Subject", "del returns the name")
  t:eq(#msg:header("Subject"), 0, "deleted")
  t:eq(pe.get_mess_recv_from(ctx, vars, {}), nil, "no peer known")
  t:eq(pe.get_mess_recv_via(ctx, vars, {}), nil, "no listener known")
  local ok, err = pcall(pe.get_header, ctx, vars, {})
  if ok or not string.find(err, "params.header is missing", 1, true) then t:error(tostring(err)) end
end

function TestContextAndVariables(t)
  local ctx, msg = newctx()
  local vars = {}
  pe.vctx_mess_set(ctx, vars, { key = "k", value = "v" })
  t:eq(msg:context_get(msys.core.ECMESS_CTX_MESS, "k"), "v", "mess set")
  t:eq(pe.vctx_mess_get(ctx, vars, { key = "k" }), "v", "mess get")
  pe.vctx_conn_set(ctx, vars, { key = "c", value = "w" })
  t:eq(pe.vctx_conn_get(ctx, vars, { key = "c" }), "w", "conn")
  t:eq(pe.vctx_conn_get(ctx, vars, { key = "nothing" }), nil, "missing")
  t:eq(pe.set_variable(ctx, vars, { name = "x", value = 5 }), 5, "set_variable returns the value")
  t:eq(pe.get_variable(ctx, vars, { name = "x" }), 5, "get_variable")
  t:eq(pe.set_binding(ctx, vars, { binding = "b1" }), true, "set_binding")
  t:eq(msg:binding(), "b1", "binding set")
  pe.set_binding(ctx, vars, { binding = "p1, p2" })
  local b = msg:binding()
  t:eq(b == "p1" or b == "p2", true, "picked from a list")
  t:eq(pe.set_binding_group(ctx, vars, { binding_group = "bulk" }), true, "set_binding_group")
  t:eq(msg:binding_group(), "bulk", "binding group set")
  t:eq(pe.get_binding_domain_failure_rate, nil, "MTA statistics are not available")
end

function TestPcreMatch(t)
  local ctx = newctx()
  local vars = {}
  t:eq(pe.pcre_match(ctx, vars, { subject = "order 42 shipped", pattern = "(\\d+) (?P<state>\\w+)" }), true, "match")
  t:eq(vars["$0"], "order 42 shipped", "$0 is the subject, as documented")
  t:eq(vars["$1"], "42", "$1")
  t:eq(vars["$state"], "shipped", "named")
  t:eq(pe.pcre_match(ctx, {}, { subject = "nothing", pattern = "\\d" }), false, "no match")
end

function TestSendEmail(t)
  local ctx = newctx()
  local p = { from = "alerts@example.com", to = "ops@example.com, oncall@example.com", subject = "queue high", body = "queue is at 5000", throttle = 300 }
  t:eq(pe.send_email(ctx, {}, p), true, "sent")
  t:eq(pe.send_email(ctx, {}, p), false, "throttled")
  local v, err = pe.send_email(ctx, {}, { from = "a@example.com", to = "not an address,", subject = "s", body = "b" })
  t:eq(v, nil, "bad recipient")
end
