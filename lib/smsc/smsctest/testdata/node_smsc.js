// An SMSC scripted on the npm package "smpp" (node-smpp), for msyshost's
// interop tests. Its receipts are node-smpp's own encoding: the
// receipted_message_id TLV is a C-octet string, so it ends in a NUL.
//
// Behaviour by destination address, so one server serves every test:
//   1666...  the receipt says UNDELIV (otherwise DELIVRD)
//   1777...  the receipt is sent before the submit_sm_resp
//   1888...  the first submit is left unanswered; when three are held the
//            connection is destroyed (the peer dropping mid-window); a
//            resubmission is answered normally
// Prints "LISTENING <port>" once ready.
'use strict';
const smpp = require('smpp');

let counter = 0x5a000;
const bound = new Set();
const held = new Map(); // session -> count of unanswered submits
const seen1888 = new Set();
const outbox = []; // receipts waiting for a bound session

function receiptFor(sub) {
  const stat = sub.dest.startsWith('1666') ? 'UNDELIV' : 'DELIVRD';
  const text = 'id:' + sub.id + ' sub:001 dlvrd:' + (stat === 'DELIVRD' ? '001' : '000') +
    ' submit date:2601011200 done date:2601011201 stat:' + stat + ' err:' +
    (stat === 'DELIVRD' ? '000' : '001') + ' text:';
  return {
    source_addr: sub.dest, destination_addr: sub.source,
    esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
    short_message: text,
    receipted_message_id: sub.id,
    message_state: stat === 'DELIVRD' ? 2 : 5,
  };
}

function sendReceipt(sub, preferred) {
  let target = preferred && bound.has(preferred) ? preferred : null;
  if (!target) {
    for (const s of bound) { target = s; break; }
  }
  if (!target) {
    setTimeout(() => sendReceipt(sub, null), 100);
    return;
  }
  target.deliver_sm(receiptFor(sub), (resp) => {
    if (resp.command_status !== 0) {
      setTimeout(() => sendReceipt(sub, null), 200);
    }
  });
}

const server = smpp.createServer((session) => {
  const onBind = (pdu) => {
    session.send(pdu.response({ system_id: 'nodesmsc' }));
    bound.add(session);
  };
  session.on('bind_transceiver', onBind);
  session.on('bind_receiver', onBind);
  session.on('bind_transmitter', (pdu) => session.send(pdu.response({ system_id: 'nodesmsc' })));
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
  session.on('submit_sm', (pdu) => {
    const dest = String(pdu.destination_addr);
    if (dest.startsWith('1888') && !seen1888.has(dest)) {
      seen1888.add(dest);
      const n = (held.get(session) || 0) + 1;
      held.set(session, n);
      if (n >= 3) session.destroy();
      return;
    }
    counter++;
    const sub = { id: 'nd' + counter.toString(16), dest: dest, source: String(pdu.source_addr) };
    const wants = (pdu.registered_delivery & 0x03) !== 0;
    if (wants && dest.startsWith('1777')) {
      sendReceipt(sub, session);
      session.send(pdu.response({ message_id: sub.id }));
      return;
    }
    session.send(pdu.response({ message_id: sub.id }));
    if (wants) setTimeout(() => sendReceipt(sub, session), 20);
  });
  session.on('close', () => bound.delete(session));
  session.on('error', () => bound.delete(session));
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write('LISTENING ' + server.address().port + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
