-- msys.bounce: Momentum's bounce classes from replies and messages.

require("msys.bounce")
require("msys.extended.message")

local function class(t, text, want, what)
  local code, name, desc = msys.bounce.classify_smtp_response(text, "example.com")
  if code ~= want then t:error(string.format("%s: %q classified %s (%s), want %d", what, text, tostring(code), tostring(name), want)) end
  if type(name) ~= "string" or type(desc) ~= "string" then t:error(what .. ": name and description must be strings") end
end

function TestSMTPResponses(t)
  class(t, "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown", 10, "user unknown")
  class(t, "this domain is no longer used", 10, "no longer used")
  class(t, "552 5.2.2 Mailbox full", 22, "over quota")
  class(t, "552 5.3.4 Message size exceeds fixed limit", 23, "too large")
  class(t, "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", 51, "RBL")
  class(t, "550 5.7.1 Message content rejected as spam", 52, "spam content")
  class(t, "554 5.7.1 Relaying denied", 54, "relay")
  class(t, "550 5.7.1 Delivery not authorized, message refused", 50, "policy block")
  class(t, "451 4.4.2 Connection timed out", 24, "timeout")
  class(t, "550 5.4.4 Host or domain name not found", 21, "DNS")
  class(t, "450 4.7.1 Greylisted, please try again later", 70, "greylisting")
  class(t, "421 4.3.0 something unusual", 20, "other 4xx")
  class(t, "554 5.0.0 something unusual", 40, "other 5xx")
  class(t, "hello there", 1, "nothing to go on")
end

local dsn = table.concat({
  "From: MAILER-DAEMON@mx.example.net",
  "To: sender@example.com",
  "Subject: Undelivered Mail Returned to Sender",
  "MIME-Version: 1.0",
  'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
  "",
  "--b",
  "Content-Type: text/plain",
  "",
  "Your message could not be delivered.",
  "--b",
  "Content-Type: message/delivery-status",
  "",
  "Reporting-MTA: dns; mx.example.net",
  "",
  "Original-Recipient: rfc822; bob@example.org",
  "Final-Recipient: rfc822; bob@example.org",
  "Action: failed",
  "Status: 5.2.2",
  "Diagnostic-Code: smtp; 552 5.2.2 mailbox full",
  "--b--",
  "" }, "\r\n")

local function msg(raw)
  local m = msys.core.ec_message_new(nil)
  m:raw(raw)
  return m
end

function TestMessages(t)
  local code, name, desc, rcpt = msys.bounce.classify(msg(dsn))
  if code ~= 22 or rcpt ~= "bob@example.org" then t:error("DSN: " .. tostring(code) .. " " .. tostring(rcpt)) end
  code = msys.bounce.classify(msg("From: a@example.org\r\nSubject: Out of Office: back Monday\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.\r\n"))
  if code ~= 60 then t:error("auto-reply: " .. code) end
  code = msys.bounce.classify(msg("From: a@example.org\r\nSubject: unsubscribe\r\n\r\n\r\n"))
  if code ~= 90 then t:error("unsubscribe: " .. code) end
  code = msys.bounce.classify(msg("From: MAILER-DAEMON@x\r\nSubject: failure notice\r\n\r\n<c@example.org>: host mx.example.org said: 550 5.1.1 no such user\r\n"))
  if code ~= 10 then t:error("plain bounce text: " .. code) end
  code, name = msys.bounce.classify(msg("From: a@example.org\r\nSubject: lunch?\r\n\r\nsee you\r\n"))
  if code ~= 1 or name ~= "Undetermined" then t:error("ordinary mail: " .. code) end
end
