-- msys.delivery's codes and msys.httpclnt's classifier.

require("msys.delivery")
require("msys.httpclnt")

function TestCodes(t)
  local d = msys.delivery
  t:eq(d.DELIVERY_CONTINUE, 0, "CONTINUE is 0")
  local seen = {}
  for _, n in ipairs({ "DELIVERY_CONTINUE", "DELIVERY_DONE", "DELIVERY_SUCCESS", "DELIVERY_PERMFAILED", "DELIVERY_TEMPFAILED", "DELIVERY_FAIL" }) do
    if type(d[n]) ~= "number" or seen[d[n]] then t:error(n .. " missing or repeated") end
    seen[d[n]] = true
  end
  t:eq(d.ob_get_current_message, nil, "no HTTP delivery sessions in msyshost")
end

function TestClassifier(t)
  local c, d = msys.httpclnt.http_status_classifier, msys.delivery
  t:eq(c(200), d.DELIVERY_SUCCESS, "200")
  t:eq(c(204), d.DELIVERY_SUCCESS, "204")
  t:eq(c(400), d.DELIVERY_PERMFAILED, "400")
  t:eq(c(404), d.DELIVERY_PERMFAILED, "404")
  t:eq(c(429), d.DELIVERY_TEMPFAILED, "429")
  t:eq(c(503), d.DELIVERY_TEMPFAILED, "503")
  t:eq(c(501), d.DELIVERY_PERMFAILED, "501")
  t:eq(c("200"), d.DELIVERY_SUCCESS, "a numeric string")
end
