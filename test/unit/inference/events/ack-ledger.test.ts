/** The ack ledger: acks turn into delivered data events, control lines are not counted, bounds hold. */
import t from 'tap';
import { AckLedger } from '../../../../services/inference/src/events/ack-ledger.js';

const ack = (n: number): Buffer => Buffer.from(`{"type":"ack","received":${n}}\n`);

t.test('acks count data lines, not the control lines between them', async (t) => {
  const l = new AckLedger();
  l.wroteControl(); // line 1: hello
  l.wroteData(3); // lines 2-4
  l.wroteControl(); // line 5: stats
  l.wroteData(2); // lines 6-7
  t.equal(l.inFlight, 5);
  t.equal(l.onData(ack(4)), true);
  t.equal(l.delivered, 3, 'hello and three data lines acknowledged');
  t.equal(l.inFlight, 2);
  t.equal(l.onData(ack(4)), false, 'a repeated ack is no progress');
  t.equal(l.onData(ack(99)), true, 'an ack past what was written counts what was written');
  t.equal(l.delivered, 5);
  t.equal(l.inFlight, 0);
});

t.test('acks split across chunks, garbage lines and other frames are skipped', async (t) => {
  const l = new AckLedger();
  l.wroteData(4);
  t.equal(l.onData(Buffer.from('not json\n{"type":"nope","received":4}\n{"type":"ack","rec')), false);
  t.equal(l.onData(Buffer.from('eived":2}\n')), true);
  t.equal(l.delivered, 2);
  t.equal(l.onData(Buffer.from('x'.repeat(5000))), false, 'a long line without newline is dropped');
  t.equal(l.onData(ack(4)), true, 'and the stream recovers at the next line');
  t.equal(l.delivered, 4);
});

t.test('reset starts a connection over and keeps the delivered total', async (t) => {
  const l = new AckLedger();
  l.wroteData(2);
  l.onData(ack(2));
  l.wroteData(3);
  t.equal(l.inFlight, 3);
  l.reset();
  t.equal(l.inFlight, 0);
  t.equal(l.delivered, 2);
  l.wroteData(1);
  l.onData(ack(1));
  t.equal(l.delivered, 3);
});

t.test('pending control lines are bounded', async (t) => {
  const l = new AckLedger();
  let n = 0;
  while (l.canWriteControl()) {
    l.wroteControl();
    n++;
  }
  t.equal(n, 1024);
  l.onData(ack(1));
  t.ok(l.canWriteControl(), 'an ack frees room');
});
