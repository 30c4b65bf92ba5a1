-- msys.smpp and msys.mms as the mobile hooks use them.

require("msys.smpp")
require("msys.mms")
local mobile = require("test.mobile")

function TestConstants(t)
  local s, m = msys.smpp, msys.mms
  t:eq(s.SMPP_CONTINUE, 0, "SMPP_CONTINUE")
  t:eq(s.SMPP_DELIVERED, 3, "SMPP_DELIVERED")
  t:eq(m.MM7_TEMP_FAIL, 1, "MM7_TEMP_FAIL as documented")
  t:eq(m.MM7_PERM_FAIL, 2, "MM7_PERM_FAIL as documented")
  local seen = {}
  for _, n in ipairs({ "SMPP_CONTINUE", "SMPP_TEMPFAILED", "SMPP_PERMFAILED", "SMPP_DELIVERED" }) do
    if seen[s[n]] then t:error(n .. " repeats a value") end
    seen[s[n]] = true
  end
  t:eq(s.SMPP_CONVERT_CONT ~= s.SMPP_CONVERT_CANCEL and s.SMPP_CONVERT_CANCEL ~= s.SMPP_CONVERT_SUPPRESS, true, "conversion codes")
  t:eq(s.BLOB_KEY_MO_EMAIL_TEXT, "MO_Email_Text", "blob key names the context variable")
end

function TestBlobs(t)
  local msg = msys.core.ec_message_new(nil)
  t:eq(msys.smpp.smpp_read_msg_text_blob(msg, msys.smpp.BLOB_KEY_MO_EMAIL_TEXT), nil, "no blob: nil")
  local txt = "MODIFIED BY HOOK"
  msys.smpp.smpp_write_msg_text_blob(msg, txt, string.len(txt), msys.smpp.BLOB_KEY_MO_EMAIL_TEXT)
  t:eq(msys.smpp.smpp_read_msg_text_blob(msg, msys.smpp.BLOB_KEY_MO_EMAIL_TEXT).buffer, txt, ".buffer")
  t:eq(msg:context_get(msys.core.ECMESS_CTX_MESS, "MO_Email_Text"), txt, "the blob is the context variable")
  local b = msys.core.ec_message_blobject_get(msg, msys.smpp.BLOB_KEY_MO_EMAIL_TEXT)
  t:eq(tostring(msys.cast(b.self, "msys.core:_ec_string")), txt, "blobject view")
  msys.smpp.smpp_write_msg_text_blob(msg, "abcdef", 3, msys.smpp.BLOB_KEY_SMS_TEXT)
  t:eq(msys.smpp.smpp_read_msg_text_blob(msg, msys.smpp.BLOB_KEY_SMS_TEXT).buffer, "abc", "len bytes")
  local ok, err = pcall(msys.smpp.smpp_read_msg_text_blob, msg, "Other")
  if ok or not string.find(err, "bad argument #2 to '?'", 1, true) then t:error(tostring(err)) end
end

function TestPDUs(t)
  local dr = mobile.receipt(false)
  t:eq(msys.type(dr), "msys.smpp:_smpp_pdu", "class")
  t:eq(string.find(msys.smpp.smpp_get_deliver_mo_msg(dr), "^id:1a2b sub:001") ~= nil, true, "receipt text")
  t:eq(msys.smpp.smpp_get_message_id_from_pdu(dr), "1a2b", "id from the receipt text")
  t:eq(msys.smpp.smpp_get_message_id_from_pdu(mobile.receipt(true)), "FF01", "receipted_message_id wins")
  t:eq(msys.smpp.smpp_get_message_id_from_pdu(mobile.submit_resp()), "abc123", "submit_sm_resp")
  t:eq(msys.smpp.smpp_get_deliver_mo_msg(mobile.mo()), "héllo €", "UCS-2 decoded to UTF-8")
  t:eq(msys.smpp.smpp_get_message_id_from_pdu(mobile.enquire()), nil, "no id")
  local ok, err = pcall(msys.smpp.smpp_get_deliver_mo_msg, mobile.submit_resp())
  if ok or not string.find(err, "deliver_sm or submit_sm expected, got submit_sm_resp", 1, true) then t:error(tostring(err)) end
end

function TestMM7Transaction(t)
  local trx = mobile.trx()
  t:eq(trx.soap_envelope, "<env/>", "envelope")
  t:eq(trx.soap_attachment, "attachment", "attachment")
  msys.core.dict_stringprint(trx.status_details, trx.tags, 0, "     ")
  t:eq(trx.status_details.buffer, "     RFC2822Address: sender@example.com\n     Subject: photo\n", "details")
  msys.core.dict_key_delete(trx.tags, "RFC2822Address")
  msys.core.dict_add_key_value(trx.tags, "RFC2822Address", "fred@example.com")
  t:eq(msys.core.dict_get(trx.tags, "RFC2822Address"), "fred@example.com", "tags edited")
  local recip = msys.cast(msys.core.ec_double_list_shift(trx.recipients), "msys.mms:mm7_recipient")
  t:eq(recip.address .. " " .. recip.type .. " " .. recip.disposition, "+15551234 1 0", "recipient")
  trx.status_code = 1100
  t:eq(trx.status_code, 1100, "status code set")
  msys.core.stringwrite(trx.service_code, "789-4560-321", 12)
  t:eq(trx.service_code.buffer, "789-4560-321", "service code")
end
