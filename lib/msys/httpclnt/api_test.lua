-- msys.delivery's codes and msys.httpclnt's classifier.

require("msys.delivery")
require("msys.httpclnt")

local function eq(t, got, want, what)
  if got ~= want then t:error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want))) end
end

function TestCodes(t)
  local d = msys.delivery
  eq(t, d.DELIVERY_CONTINUE, 0, "CONTINUE is 0")
  local seen = {}
  for _, n in ipairs({ "DELIVERY_CONTINUE", "DELIVERY_DONE", "DELIVERY_SUCCESS", "DELIVERY_PERMFAILED", "DELIVERY_TEMPFAILED", "DELIVERY_FAIL" }) do
    if type(d[n]) ~= "number" or seen[d[n]] then t:error(n .. " missing or repeated") end
    seen[d[n]] = true
  end
  eq(t, d.ob_get_current_message, nil, "no HTTP delivery sessions in msyshost")
end

function TestClassifier(t)
  local c, d = msys.httpclnt.http_status_classifier, msys.delivery
  eq(t, c(200), d.DELIVERY_SUCCESS, "200")
  eq(t, c(204), d.DELIVERY_SUCCESS, "204")
  eq(t, c(400), d.DELIVERY_PERMFAILED, "400")
  eq(t, c(404), d.DELIVERY_PERMFAILED, "404")
  eq(t, c(429), d.DELIVERY_TEMPFAILED, "429")
  eq(t, c(503), d.DELIVERY_TEMPFAILED, "503")
  eq(t, c(501), d.DELIVERY_PERMFAILED, "501")
  eq(t, c("200"), d.DELIVERY_SUCCESS, "a numeric string")
end
