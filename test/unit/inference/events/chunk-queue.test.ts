/** The publisher's byte queue: bounds, batching into chunks, partial writes under backpressure. */
import t from 'tap';
import { ChunkQueue, type BatchSink } from '../../../../services/inference/src/events/chunk-queue.js';

/** A socket stand-in that records writes and pushes back after `accept` of them. */
function fakeSocket(accept = Infinity): { socket: BatchSink; writes: string[] } {
  const writes: string[] = [];
  const socket: BatchSink = {
    writableLength: 0,
    write(buf: Buffer): boolean {
      writes.push(buf.toString('latin1'));
      return writes.length < accept;
    },
  };
  return { socket, writes };
}

t.test('frames fill one batch buffer and go out as one write', async (t) => {
  const q = new ChunkQueue(100, 1 << 20, 64);
  for (let i = 0; i < 3; i++) q.push(`frame-${i}\n`);
  t.equal(q.events, 3);
  t.equal(q.bytes, 24);
  const { socket, writes } = fakeSocket();
  t.equal(q.writeTo(socket), 3);
  t.same(writes, ['frame-0\nframe-1\nframe-2\n']);
  t.equal(q.events, 0);
  t.equal(q.bytes, 0);
});

t.test('a full batch starts a new chunk; a frame longer than a batch gets its own', async (t) => {
  const q = new ChunkQueue(100, 1 << 20, 16);
  q.push('aaaaaaaaaa\n'); // 11 bytes
  q.push('bbbbbbbbbb\n'); // does not fit in 16: new chunk
  q.push(`${'c'.repeat(39)}\n`); // 40 bytes: a chunk of its own size
  const { socket, writes } = fakeSocket();
  t.equal(q.writeTo(socket), 3);
  t.same(writes, ['aaaaaaaaaa\n', 'bbbbbbbbbb\n', `${'c'.repeat(39)}\n`]);
});

t.test('backpressure stops the write loop and keeps the rest queued', async (t) => {
  const q = new ChunkQueue(100, 1 << 20, 8);
  for (let i = 0; i < 4; i++) q.push('1234567\n');
  const first = fakeSocket(2);
  t.equal(q.writeTo(first.socket), 2, 'two chunks written, the second refused more');
  t.equal(q.events, 2);
  const second = fakeSocket();
  t.equal(q.writeTo(second.socket), 2);
  t.equal(q.events, 0);
});

t.test('bounds in events and bytes; clear empties', async (t) => {
  const q = new ChunkQueue(2, 20, 64);
  t.ok(q.fits(10));
  q.push('123456789\n');
  t.notOk(q.fits(11), 'bytes bound');
  q.push('123456789\n');
  t.notOk(q.fits(1), 'events bound');
  t.equal(q.clear(), 2);
  t.equal(q.bytes, 0);
  t.ok(q.fits(20));
});
