/**
 * The exporter's channel under hostile publishers (issue 8, "Bad input"), against the compiled
 * exporter: fast-check streams of valid, broken and garbage frames cut at arbitrary points on
 * concurrent connections, frames cut off by a disconnect, oversized lines, a flood, a publisher
 * that never reads its acks, idle partial lines and more connections than allowed.
 *
 * The exporter must survive all of it, count every well-formed event and report every rejected
 * line by reason (spam_detector_exporter_events_malformed_total), keep serving well-behaved
 * publishers, and its heap after a full GC must come back near the baseline.
 *
 * FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import t from 'tap';
import { MALFORMED_REASONS, PREDICTION_ROUTES, type ChannelEventType } from '../../shared/events.js';
import { EventEncoder } from '../../shared/event-encode.js';
import { channelClient, streamChunks, streamPlanArb, type Outcome } from '../helpers/fuzz-frames.js';
import { scrape, sum, waitFor, type Sample } from '../helpers/fuzz-prom.js';
import { makeScratch, mb, MB, memoryProbe, startExporter } from '../helpers/fuzz-stack.js';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const EVENT_TYPES: ChannelEventType[] = ['request', 'feedback', 'hello', 'stats'];

const scratch = makeScratch('fuzz-channel-');
t.teardown(() => scratch.cleanup());

async function samples(url: string): Promise<Sample[]> {
  return (await scrape(url)).samples;
}

function malformed(s: readonly Sample[], reason: string): number {
  return sum(s, 'spam_detector_exporter_events_malformed_total', { reason });
}

function received(s: readonly Sample[], type: string): number {
  return sum(s, 'spam_detector_exporter_events_received_total', { type });
}

const valid = new EventEncoder({ worker: 'good', pid: 4242 }, 'good-model-1');
const REQUEST = { route: '/predict' as const, method: 'POST', status: 200, latencySeconds: 0.002, inferenceSeconds: 0.001, batchSize: 1, predictions: [{ label: 'spam' as const, confidence: 0.9, text_length: 40 }] };

t.test(`hostile streams on concurrent connections: every line counted by outcome (seed ${SEED})`, async (t) => {
  const exporter = await startExporter(scratch, { gcProbe: true });
  t.teardown(() => exporter.stop());
  const path = scratch.socket;
  const before = await samples(exporter.url);
  const memBefore = await memoryProbe(exporter);

  const expected = new Map<Outcome | 'truncated', number>();
  let predictionRequests = 0;
  let lines = 0;
  let connections = 0;
  const deadline = Date.now() + 30_000;
  await fc.assert(
    fc.asyncProperty(fc.array(streamPlanArb({ oversized: true, maxFrames: 50 }), { minLength: 1, maxLength: 6 }), async (plans) => {
      // Time box: later runs pass without sending (interruptAfterTimeLimit would abandon streams in flight).
      if (Date.now() > deadline) return;
      await Promise.all(
        plans.map(async (plan) => {
          const c = await channelClient(path);
          connections++;
          const { chunks, lines: n } = streamChunks(plan);
          for (const chunk of chunks) {
            await c.write(chunk);
            // Let the exporter see the cut: one chunk per turn.
            await new Promise((r) => setImmediate(r));
          }
          const acked = await c.waitAck(n, 20_000);
          await c.end();
          if (!acked) throw new Error(`exporter acknowledged ${c.acked()} of ${n} lines`);
          lines += n;
          for (const f of plan.frames) {
            expected.set(f.outcome, (expected.get(f.outcome) ?? 0) + 1);
            if (f.outcome === 'request') {
              const route = (JSON.parse(f.bytes.toString('utf8')) as { route: string }).route;
              if ((PREDICTION_ROUTES as readonly string[]).includes(route)) predictionRequests++;
            }
          }
          if (plan.tail.length > 0) expected.set('truncated', (expected.get('truncated') ?? 0) + 1);
        }),
      );
    }),
    { numRuns: 40, seed: SEED, endOnFailure: true },
  ).catch((err: Error) => t.fail(`property failed (replay with FUZZ_SEED=${SEED}): ${err.message.slice(0, 1500)}`));

  // Truncated frames are counted when their connection closes, after its last ack.
  await waitFor(async () => malformed(await samples(exporter.url), 'truncated') - malformed(before, 'truncated') >= (expected.get('truncated') ?? 0), 5000);
  const after = await samples(exporter.url);
  const got: Record<string, number> = {};
  const want: Record<string, number> = {};
  for (const type of EVENT_TYPES) {
    got[type] = received(after, type) - received(before, type);
    want[type] = expected.get(type) ?? 0;
  }
  for (const reason of MALFORMED_REASONS) {
    got[reason] = malformed(after, reason) - malformed(before, reason);
    want[reason] = expected.get(reason) ?? 0;
  }
  t.same(got, want, 'received by type and malformed by reason, exactly');
  t.equal(sum(after, 'spam_detector_requests_total') - sum(before, 'spam_detector_requests_total'), predictionRequests, 'requests_total counts the valid prediction-route events only');
  t.equal(exporter.child.exitCode, null, 'the exporter is up');
  t.ok(await waitFor(async () => sum(await samples(exporter.url), 'spam_detector_exporter_publishers_connected') === 0, 5000), 'every closed connection is forgotten');

  const memAfter = await memoryProbe(exporter);
  t.ok(memAfter.heapUsed - memBefore.heapUsed < 16 * MB, `heap after GC near baseline: ${mb(memBefore.heapUsed)} -> ${mb(memAfter.heapUsed)}`);
  const wellFormed = EVENT_TYPES.reduce((a, type) => a + (got[type] ?? 0), 0);
  t.comment(`FIGURE fuzz-channel: ${connections} connections, ${lines} complete lines (${wellFormed} well-formed, rejected: ${MALFORMED_REASONS.map((r) => `${r}=${got[r]}`).join(' ')}); heap ${mb(memBefore.heapUsed)} -> ${mb(memAfter.heapUsed)}`);
});

t.test('a flood, a publisher that never reads its acks, and a well-behaved one beside them', async (t) => {
  // One ack per millisecond per connection, so the non-reader's acks pile up quickly.
  const exporter = await startExporter(scratch, { gcProbe: true, env: { EVENTS_ACK_INTERVAL_MS: '1' } });
  t.teardown(() => exporter.stop());
  const path = scratch.socket;
  const before = await samples(exporter.url);
  const memBefore = await memoryProbe(exporter);

  const FLOOD = 200_000;
  const line = valid.request(REQUEST);
  const flood = await channelClient(path);
  const deaf = await channelClient(path, { read: false });
  const good = await channelClient(path);

  const floodStarted = Date.now();
  const floodDone = (async () => {
    const batch = line.repeat(1000);
    for (let i = 0; i < FLOOD / 1000; i++) await flood.write(batch);
  })();
  // The deaf publisher writes one frame per millisecond; each gets its own ack it never reads.
  const DEAF = 4000;
  const deafDone = (async () => {
    for (let i = 0; i < DEAF; i++) {
      await deaf.write(line);
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  // Meanwhile a well-behaved publisher is served as usual.
  let goodSent = 0;
  const goodDone = (async () => {
    for (let i = 0; i < 50; i++) {
      await good.write(line);
      goodSent++;
      if (!(await good.waitAck(goodSent, 10_000))) throw new Error(`good publisher acked ${good.acked()} of ${goodSent}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await Promise.all([floodDone, deafDone, goodDone]);
  t.ok(await flood.waitAck(FLOOD, 60_000), 'the flood is acknowledged in full');
  const floodMs = Date.now() - floodStarted;
  t.equal(good.acked(), 50, 'the well-behaved publisher got every ack while the others misbehaved');

  const deafBuffered = deaf.socket.readableLength;
  // The exporter still counted every frame of the deaf publisher.
  const total = FLOOD + DEAF + 50;
  t.ok(await waitFor(async () => received(await samples(exporter.url), 'request') - received(before, 'request') === total, 10_000), `all ${total} request events counted`);
  const memAfterLoad = await memoryProbe(exporter);

  // When the deaf publisher finally reads, the acks it gets are cumulative and end at its total.
  deaf.socket.on('data', () => undefined);
  let last = 0;
  let carry = '';
  deaf.socket.removeAllListeners('data');
  deaf.socket.on('data', (d: Buffer) => {
    carry += d.toString('utf8');
    let nl;
    while ((nl = carry.indexOf('\n')) >= 0) {
      last = Math.max(last, (JSON.parse(carry.slice(0, nl)) as { received: number }).received);
      carry = carry.slice(nl + 1);
    }
  });
  deaf.socket.resume();
  // One more frame makes the exporter send a fresh cumulative ack once the backlog drained.
  await deaf.write(line);
  t.ok(await waitFor(() => last === DEAF + 1, 10_000), `the deaf publisher's last ack is its total (${last})`);

  const after = await samples(exporter.url);
  t.equal(MALFORMED_REASONS.reduce((a, r) => a + malformed(after, r) - malformed(before, r), 0), 0, 'nothing malformed');
  t.equal(exporter.child.exitCode, null, 'the exporter is up');
  await Promise.all([flood.end(), deaf.end(), good.end()]);
  const memAfter = await memoryProbe(exporter);
  t.ok(memAfterLoad.heapUsed - memBefore.heapUsed < 32 * MB, `heap bounded under load: ${mb(memBefore.heapUsed)} -> ${mb(memAfterLoad.heapUsed)}`);
  t.ok(memAfter.heapUsed - memBefore.heapUsed < 16 * MB, `heap after GC near baseline: ${mb(memAfter.heapUsed)}`);
  t.comment(`FIGURE fuzz-channel flood: ${FLOOD} events in ${floodMs} ms (${Math.round(FLOOD / (floodMs / 1000))}/s) on one connection; deaf publisher ${DEAF} frames, ${deafBuffered} bytes of unread acks; heap ${mb(memBefore.heapUsed)} -> ${mb(memAfterLoad.heapUsed)} (load) -> ${mb(memAfter.heapUsed)}; rss ${mb(memBefore.rss)} -> ${mb(memAfterLoad.rss)}`);
});

t.test('idle partial lines, oversized lines and more connections than allowed', async (t) => {
  const MAX = 12;
  const exporter = await startExporter(scratch, { gcProbe: true, env: { EXPORTER_MAX_CONNECTIONS: String(MAX) } });
  t.teardown(() => exporter.stop());
  const path = scratch.socket;
  const before = await samples(exporter.url);
  const memBefore = await memoryProbe(exporter);

  // MAX connections each leave 900 KB of an unfinished frame in the exporter.
  const holders = await Promise.all(Array.from({ length: MAX }, () => channelClient(path)));
  for (const h of holders) await h.write(Buffer.alloc(900 * 1024, 0x78));
  t.ok(await waitFor(async () => sum(await samples(exporter.url), 'spam_detector_exporter_publishers_connected') === MAX, 5000), `${MAX} connected`);
  const memHeld = await memoryProbe(exporter);

  // Beyond the limit a connection is closed at once, with a log line saying why.
  const extra = await Promise.all(Array.from({ length: 4 }, () => channelClient(path)));
  await Promise.all(extra.map((c) => c.closed));
  t.pass('connections beyond EXPORTER_MAX_CONNECTIONS are closed');
  await exporter.waitForRecord((r) => typeof r.msg === 'string' && r.msg.includes('too many connections'), 5000).then(
    () => t.pass('and logged'),
    () => t.fail('no log line for refused connections'),
  );

  // Half of the holders finish their line past the limit (oversized); the other half disconnect (truncated).
  for (const h of holders.slice(0, MAX / 2)) {
    await h.write(Buffer.alloc(200 * 1024, 0x78));
    await h.write('\n');
    t.ok(await h.waitAck(1), 'an oversized line still counts as a received line');
  }
  await Promise.all(holders.map((h) => h.end()));
  t.ok(await waitFor(async () => malformed(await samples(exporter.url), 'truncated') - malformed(before, 'truncated') === MAX / 2, 5000), 'each unfinished frame is reported truncated at disconnect');
  const after = await samples(exporter.url);
  t.equal(malformed(after, 'oversized') - malformed(before, 'oversized'), MAX / 2, 'each overlong line is reported oversized once');

  // The slots are free again and a well-behaved publisher is served.
  const good = await channelClient(path);
  await good.write(valid.request(REQUEST));
  t.ok(await good.waitAck(1), 'a new publisher is served after the abuse');
  await good.end();
  const memAfter = await memoryProbe(exporter);
  t.ok(memHeld.heapUsed - memBefore.heapUsed < (MAX * 2 + 16) * MB, `partial lines bounded by connections x frame limit: ${mb(memBefore.heapUsed)} -> ${mb(memHeld.heapUsed)}`);
  t.ok(memAfter.heapUsed - memBefore.heapUsed < 16 * MB, `heap after GC near baseline once they are gone: ${mb(memAfter.heapUsed)}`);
  t.comment(`FIGURE fuzz-channel partial lines: ${MAX} x 900 KB held: heap ${mb(memBefore.heapUsed)} -> ${mb(memHeld.heapUsed)} -> ${mb(memAfter.heapUsed)} after; 4 connections over the limit refused`);
});
