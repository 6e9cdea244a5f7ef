/**
 * A cluster worker's line to the primary (services/inference/src/cluster/link.ts), with the IPC
 * channel replaced by a stand-in primary: requests and their answers matched by rid, timeouts,
 * late answers ignored, feedback and model operations served for the primary, close() releasing
 * what waits. The primary itself (cluster/primary.ts) forks real workers and is exercised by the
 * process-level suites (test/e2e/inference-cluster, test/reliability/worker-kill, test/e2e/model-lifecycle).
 */
import t, { type Test } from 'tap';
import { createClusterLink, type ClusterLink } from '../../../../services/inference/src/cluster/link.js';
import { isMessage, type PrimaryMessage, type WorkerMessage } from '../../../../services/inference/src/cluster/messages.js';

type Sent = WorkerMessage;

/** Replaces process.send / process.connected for one test; messages without `sd` (the test runner's own) pass through. */
function fakeChannel(t: Test): { sent: Sent[]; reply(msg: PrimaryMessage): void; disconnect(): void } {
  const sent: Sent[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was; called below with process as this
  const originalSend = process.send;
  const connected = Object.getOwnPropertyDescriptor(process, 'connected');
  let isConnected = true;
  process.send = ((msg: unknown, ...rest: unknown[]) => {
    if (isMessage<Sent>(msg)) {
      sent.push(msg);
      return true;
    }
    return originalSend ? (originalSend as (...a: unknown[]) => boolean).call(process, msg, ...rest) : false;
  }) as typeof process.send;
  Object.defineProperty(process, 'connected', { configurable: true, get: () => isConnected });
  t.teardown(() => {
    process.send = originalSend;
    if (connected) Object.defineProperty(process, 'connected', connected);
    else delete (process as { connected?: boolean }).connected;
  });
  return {
    sent,
    reply: (msg) => process.emit('message', msg, undefined),
    disconnect: () => (isConnected = false),
  };
}

function link(t: Test): ClusterLink {
  const l = createClusterLink();
  t.teardown(() => l.close());
  return l;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('outside a cluster worker it refuses to start', async (t) => {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was
  const original = process.send;
  process.send = undefined;
  t.teardown(() => (process.send = original));
  t.throws(() => createClusterLink(), /not running as a cluster worker/);
});

t.test('notifyReady and aggregated metrics: answers matched by rid', async (t) => {
  const ch = fakeChannel(t);
  const l = link(t);
  l.notifyReady('http://127.0.0.1:5000');
  t.same(ch.sent[0], { sd: 'ready', url: 'http://127.0.0.1:5000' });

  const first = l.aggregatedMetrics(1000);
  const second = l.aggregatedMetrics(1000);
  const [a, b] = ch.sent.slice(1) as Array<Extract<Sent, { sd: 'metrics' }>>;
  t.not(a!.rid, b!.rid, 'each request has its own rid');
  ch.reply({ sd: 'metrics-result', rid: b!.rid, text: 'second' });
  ch.reply({ sd: 'metrics-result', rid: a!.rid, text: 'first' });
  t.equal(await first, 'first');
  t.equal(await second, 'second');

  const failed = l.aggregatedMetrics(1000);
  ch.reply({ sd: 'metrics-result', rid: (ch.sent.at(-1) as { rid: number }).rid, error: 'a worker did not answer' });
  await t.rejects(failed, /could not aggregate metrics: a worker did not answer/);
});

t.test('a request the primary does not answer times out; its late answer is ignored', async (t) => {
  const ch = fakeChannel(t);
  const l = link(t);
  await t.rejects(l.aggregatedMetrics(30), /did not answer in time/);
  ch.reply({ sd: 'metrics-result', rid: (ch.sent.at(-1) as { rid: number }).rid, text: 'late' });
  t.same(await l.forwardFeedback('1', '1.abc.7', 'spam', 30), { status: 'timeout' });
  const outcome = await l.modelAction('reload', 30);
  t.same(outcome, { ok: false, code: 'RELOAD_TIMEOUT', message: 'the cluster primary did not answer within 30 ms' });
});

t.test('feedback forwarded to the owner, and answered for other workers', async (t) => {
  const ch = fakeChannel(t);
  const l = link(t);
  const forwarded = l.forwardFeedback('1', '1.abc.7', 'spam', 1000);
  const req = ch.sent.at(-1) as Extract<Sent, { sd: 'feedback' }>;
  t.match(req, { sd: 'feedback', owner: '1', id: '1.abc.7', label: 'spam' });
  ch.reply({ sd: 'feedback-result', rid: req.rid, result: { status: 'unreachable' } });
  t.same(await forwarded, { status: 'unreachable' });

  // Another worker's feedback for a prediction of this one: without a handler it is unknown.
  ch.reply({ sd: 'feedback', rid: 41, replyTo: '2', id: '0.abc.1', label: 'ham' });
  t.same(ch.sent.at(-1), { sd: 'feedback-result', rid: 41, replyTo: '2', result: { status: 'unknown' } });
  const seen: string[] = [];
  l.serveFeedback((id, label) => {
    seen.push(`${id} ${label}`);
    return { status: 'accepted', predicted: 'spam', captured: false };
  });
  ch.reply({ sd: 'feedback', rid: 42, replyTo: '2', id: '0.abc.2', label: 'ham' });
  t.same(seen, ['0.abc.2 ham']);
  t.same(ch.sent.at(-1), { sd: 'feedback-result', rid: 42, replyTo: '2', result: { status: 'accepted', predicted: 'spam', captured: false } });
});

t.test('model actions and the operations the primary runs in this worker', async (t) => {
  const ch = fakeChannel(t);
  const l = link(t);
  const action = l.modelAction('rollback', 1000);
  const req = ch.sent.at(-1) as Extract<Sent, { sd: 'model-action' }>;
  t.equal(req.action, 'rollback');
  ch.reply({ sd: 'metrics-result', rid: req.rid, text: 'wrong kind' });
  t.match(await action, { ok: false, code: 'RELOAD_TIMEOUT', message: /unexpected answer from the primary: metrics-result/ });

  // Not serving yet: an operation is refused, so the primary does not wait for this worker.
  ch.reply({ sd: 'model-op', rid: 7, op: 'abort' });
  await tick();
  t.match(ch.sent.at(-1), { sd: 'model-op-result', rid: 7, result: { ok: false, code: 'RELOAD_TIMEOUT' } });

  const ops: unknown[] = [];
  l.serveModelOps(async (op) => {
    ops.push(op);
    return { ok: true, version: 'v2', previous: 'v1', shadow: undefined, paths: { model: '/m2.onnx', shadow: undefined } };
  });
  ch.reply({ sd: 'model-op', rid: 8, op: 'commit' });
  await tick();
  t.same(ops, ['commit']);
  t.match(ch.sent.at(-1), { sd: 'model-op-result', rid: 8, result: { ok: true, version: 'v2', previous: 'v1' } });
});

t.test('messages without sd (prom-client\'s, the runner\'s) are not ours', async (t) => {
  const ch = fakeChannel(t);
  link(t);
  const before = ch.sent.length;
  process.emit('message', { type: 'prom-client:getMetricsReq', requestId: 1 }, undefined);
  process.emit('message', 'text', undefined);
  t.equal(ch.sent.length, before);
});

t.test('close() releases what waits; a closed channel sends nothing', async (t) => {
  const ch = fakeChannel(t);
  const l = createClusterLink();
  const waiting = l.forwardFeedback('1', '1.abc.9', 'ham', 60_000);
  l.close();
  t.same(await waiting, { status: 'timeout' }, 'resolved at once, as a timeout');
  ch.reply({ sd: 'feedback', rid: 50, replyTo: '2', id: 'x', label: 'ham' });
  t.notOk(ch.sent.some((m) => m.sd === 'feedback-result'), 'a closed link no longer serves');

  const l2 = link(t);
  ch.disconnect();
  const before = ch.sent.length;
  await t.rejects(l2.aggregatedMetrics(20), /did not answer in time/);
  t.equal(ch.sent.length, before, 'nothing sent while the channel is closed');
});
