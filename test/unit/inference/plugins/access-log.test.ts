/**
 * The access-log writer (services/inference/src/plugins/access-log.ts): each line is byte for byte
 * what `logger.info(fields, 'request')` writes (level, time, bindings, fields, msg), whatever
 * fields are present; the lines of one event-loop turn reach the destination in one write; flush()
 * hands pending lines over at once; a logger above info writes nothing. The plugin's lines inside
 * the app are tested in test/unit/inference/app.test.ts.
 */
import t from 'tap';
import { pino, type DestinationStream } from 'pino';
import { AccessLogWriter, type AccessLine } from '../../../../services/inference/src/plugins/access-log.js';

function recorder(): { stream: DestinationStream; writes: string[] } {
  const writes: string[] = [];
  return { stream: { write: (chunk: string) => void writes.push(chunk) }, writes };
}

/** A logger shaped like the service's (base bindings, redaction off for the line) with a fixed clock. */
function logger(stream: DestinationStream, level = 'info') {
  return pino({ level, base: { pid: 4242, worker: '1' }, timestamp: () => ',"time":1796444929492' }, stream).child({ role: 'test "quoted"' }, { redact: [] });
}

const LINES: AccessLine[] = [
  { reqId: 'mraab-1', method: 'POST', route: '/predict', status: 200, ms: 1.234, model_version: 'tfidf-lr-6c3c423d327c', label: 'spam', text_length: 205, inference_ms: 0.99 },
  { reqId: 'mraab-2', method: 'POST', route: '/predict', status: 200, ms: 2, model_version: 'v', batch_size: 2, labels: ['ham', 'spam'], text_lengths: [1, 100000], inference_ms: 1.5, text_sha256: ['0123456789ab', 'ba9876543210'] },
  { reqId: 'mraab-3', method: 'GET', route: 'unmatched', status: 404, ms: 0.05, model_version: 'v', path: '/nope/"\\\n\u2028é', code: 'NOT_FOUND' },
  { reqId: 'mraab-4', method: 'POST', route: '/feedback', status: 200, ms: 0.3, model_version: 'v', feedback: { predicted: 'spam', actual: 'ham', modelVersion: 'v', shadowPredicted: 'ham', shadowVersion: 'w' } },
  { reqId: 'mraab-5', method: 'POST', route: '/feedback', status: 200, ms: 0.3, model_version: 'v', feedback: { predicted: 'spam', actual: 'ham', modelVersion: undefined } },
];

t.test("each line is byte for byte pino's info(fields, 'request')", async (t) => {
  for (const fields of LINES) {
    const theirs = recorder();
    logger(theirs.stream).info(fields, 'request');
    const mine = recorder();
    const writer = new AccessLogWriter(logger(mine.stream));
    writer.write(fields);
    writer.flush();
    t.same(mine.writes, theirs.writes, fields.reqId);
    t.same(JSON.parse(mine.writes[0]!), { level: 30, time: 1796444929492, pid: 4242, worker: '1', role: 'test "quoted"', ...JSON.parse(JSON.stringify(fields)), msg: 'request' });
  }
});

t.test('the lines of one turn go out in one write, after the turn', async (t) => {
  const { stream, writes } = recorder();
  const writer = new AccessLogWriter(logger(stream));
  for (const fields of LINES) writer.write(fields);
  t.equal(writes.length, 0, 'nothing written during the turn');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(writes.length, 1, 'one write for the turn');
  t.same(writes[0]!.split('\n').slice(0, -1).map((l) => (JSON.parse(l) as { reqId: string }).reqId), LINES.map((l) => l.reqId), 'every line, in order');
  writer.write(LINES[0]!);
  writer.flush();
  t.equal(writes.length, 2, 'flush() writes what is pending at once');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(writes.length, 2, 'and the scheduled flush finds nothing left');
});

t.test('enabled follows the logger level, read at each request', async (t) => {
  const log = logger(recorder().stream, 'warn');
  const writer = new AccessLogWriter(log);
  t.equal(writer.enabled, false);
  log.level = 'debug';
  t.equal(writer.enabled, true);
});
