/**
 * POST /predict and POST /invocations against the real bundled model (fastify.inject): the
 * seed example, response shapes, batches, and every input error with its stable code.
 */
import t from 'tap';
import { makeApp, bundledModel, SEED_SPAM } from '../../../helpers/inference.js';
import type { ServingModel } from '../../../../services/inference/src/serving-model.js';

const HAM = 'Hi Anna, are we still meeting for lunch tomorrow at noon? Let me know, thanks.';
const PRED_ID = /^0\.[a-z0-9]{8}\.[a-z0-9]+$/;

t.test('the seed example says spam', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: SEED_SPAM } });
  t.equal(res.statusCode, 200);
  t.equal(res.json().prediction, 'spam', `got ${res.body}`);
});

t.test('one text: full prediction object', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const model = await bundledModel();
  const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: HAM } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const body = res.json();
  t.same(Object.keys(body).sort(), ['confidence', 'id', 'inference_time_ms', 'model_version', 'prediction', 'probabilities']);
  t.match(body.id, PRED_ID);
  t.ok(['spam', 'ham'].includes(body.prediction));
  t.equal(body.model_version, model.version);
  t.ok(body.inference_time_ms > 0);
  const { ham, spam } = body.probabilities;
  t.ok(Math.abs(ham + spam - 1) < 1e-6, 'probabilities sum to 1');
  t.equal(body.confidence, body.prediction === 'spam' ? spam : ham);
  // Same answer as the model gives directly.
  const direct = await model.predict([HAM]);
  t.equal(body.prediction, direct.labels[0]);
  t.ok(Math.abs(spam - direct.spamProbabilities[0]!) < 1e-6);
});

t.test('a batch: one prediction per text, in order, distinct ids', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const texts = [SEED_SPAM, HAM, 'Cheap meds online, no prescription needed, order now and save 80%'];
  const res = await app.inject({ method: 'POST', url: '/predict', payload: { texts } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.predictions.length, 3);
  t.equal(body.model_version, (await bundledModel()).version);
  t.equal(new Set(body.predictions.map((p: { id: string }) => p.id)).size, 3);
  for (let i = 0; i < texts.length; i++) {
    const single = (await app.inject({ method: 'POST', url: '/predict', payload: { text: texts[i] } })).json();
    t.equal(body.predictions[i].prediction, single.prediction, `text ${i}: same label alone and in a batch`);
    t.ok(Math.abs(body.predictions[i].probabilities.spam - single.probabilities.spam) < 1e-6);
  }
});

t.test('/invocations: MLflow-style inputs -> predictions', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/invocations', payload: { inputs: [SEED_SPAM, HAM] } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.same(Object.keys(body), ['predictions']);
  t.equal(body.predictions.length, 2);
  t.match(body.predictions[0], { id: PRED_ID, prediction: /^(spam|ham)$/, probabilities: { ham: Number, spam: Number } });
});

t.test('a trailing slash and a charset in the content type are fine', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({
    method: 'POST',
    url: '/predict/',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    payload: JSON.stringify({ text: HAM }),
  });
  t.equal(res.statusCode, 200);
});

t.test('a text at the request cap is accepted, one character more is TEXT_TOO_LONG', async (t) => {
  const app = await makeApp({ MAX_TEXT_CHARS: '50' });
  t.teardown(() => app.close());
  const ok = await app.inject({ method: 'POST', url: '/predict', payload: { text: 'x'.repeat(50) } });
  t.equal(ok.statusCode, 200);
  const tooLong = await app.inject({ method: 'POST', url: '/predict', payload: { text: 'x'.repeat(51) } });
  t.equal(tooLong.statusCode, 413);
  t.equal(tooLong.json().code, 'TEXT_TOO_LONG');
  const inBatch = await app.inject({ method: 'POST', url: '/predict', payload: { texts: ['ok', 'x'.repeat(51)] } });
  t.equal(inBatch.json().code, 'TEXT_TOO_LONG');
  t.match(inBatch.json().message, /texts\[1\]/);
  const inputs = await app.inject({ method: 'POST', url: '/invocations', payload: { inputs: ['x'.repeat(51)] } });
  t.equal(inputs.json().code, 'TEXT_TOO_LONG');
});

t.test('the model truncation cap is not a request limit', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const model = await bundledModel();
  const long = `${SEED_SPAM} `.repeat(Math.ceil((model.maxTextChars * 2) / SEED_SPAM.length));
  t.ok(long.length > model.maxTextChars);
  const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: long } });
  t.equal(res.statusCode, 200);
});

/**
 * The bundled model, recording the batch size of every call; `failsOn` makes a call fail when
 * one of its texts matches, as a kernel error on one input would.
 */
async function countingModel(failsOn?: RegExp): Promise<{ model: ServingModel; calls: number[] }> {
  const real = await bundledModel();
  const calls: number[] = [];
  const model: ServingModel = {
    version: real.version,
    card: real.card,
    maxTextChars: real.maxTextChars,
    predict: async (texts) => {
      calls.push(texts.length);
      if (failsOn && texts.some((x) => failsOn.test(x))) throw new Error('kernel failed on this input');
      return real.predict(texts);
    },
  };
  return { model, calls };
}

t.test('concurrent requests share model calls; each gets its own answer', async (t) => {
  const { model, calls } = await countingModel();
  const app = await makeApp({}, { model });
  t.teardown(() => app.close());
  const real = await bundledModel();
  const texts = Array.from({ length: 12 }, (_, i) => `${i % 2 ? SEED_SPAM : HAM} (message ${i})`);
  const direct = await real.predict(texts);
  const answers = await Promise.all(texts.map((text) => app.inject({ method: 'POST', url: '/predict', payload: { text } })));
  answers.forEach((res, i) => {
    t.equal(res.statusCode, 200);
    const body = res.json();
    t.equal(body.prediction, direct.labels[i], `request ${i}: its own label`);
    t.ok(Math.abs(body.probabilities.spam - direct.spamProbabilities[i]!) < 1e-5, `request ${i}: its own probability`);
  });
  t.equal(new Set(answers.map((r) => r.json().id)).size, 12, 'distinct ids');
  t.equal(calls.reduce((a, b) => a + b, 0), 12, 'every text scored once');
  t.ok(calls.length < 12, `12 requests used ${calls.length} model calls (${calls.join(', ')})`);
});

t.test('coalescing respects COALESCE_MAX_TEXTS and never splits a batch', async (t) => {
  const { model, calls } = await countingModel();
  const app = await makeApp({ COALESCE_MAX_TEXTS: '4' }, { model });
  t.teardown(() => app.close());
  const batch = ['a b c', 'd e f', 'g h i', 'j k l', 'm n o'];
  const results = await Promise.all([
    app.inject({ method: 'POST', url: '/predict', payload: { texts: batch } }),
    ...Array.from({ length: 6 }, () => app.inject({ method: 'POST', url: '/predict', payload: { text: HAM } })),
  ]);
  for (const r of results) t.equal(r.statusCode, 200);
  t.equal(results[0]!.json().predictions.length, 5);
  t.ok(calls.every((n) => n <= 4 || n === 5), `calls: ${calls.join(', ')}`);
  t.ok(calls.includes(5), 'the 5-text batch ran whole, alone');

  const { model: m1, calls: c1 } = await countingModel();
  const off = await makeApp({ COALESCE_MAX_TEXTS: '1' }, { model: m1 });
  t.teardown(() => off.close());
  await Promise.all(Array.from({ length: 5 }, () => off.inject({ method: 'POST', url: '/predict', payload: { text: HAM } })));
  t.same(c1, [1, 1, 1, 1, 1], 'COALESCE_MAX_TEXTS=1: one call per request');
});

t.test('a model failure in a shared call fails only the request that caused it', async (t) => {
  const { model, calls } = await countingModel(/POISON/);
  const app = await makeApp({}, { model });
  t.teardown(() => app.close());
  const payloads = [{ text: HAM }, { texts: [HAM, SEED_SPAM] }, { text: 'POISON pill' }, { text: SEED_SPAM }, { texts: ['a b c', 'POISON again'] }, { text: HAM }];
  const results = await Promise.all(payloads.map((payload) => app.inject({ method: 'POST', url: '/predict', payload })));
  t.same(results.map((r) => r.statusCode), [200, 200, 500, 200, 500, 200], 'only the two poisoned requests fail');
  for (const r of [results[2]!, results[4]!]) {
    t.match(r.json(), { statusCode: 500, code: 'INTERNAL_ERROR' });
    t.notMatch(r.body, /kernel failed|POISON|\n\s+at /, 'neither the error nor the text is echoed');
  }
  t.equal(results[1]!.json().predictions.length, 2, 'a batch that shared the failed call still gets all its answers');
  t.ok(calls[0]! > 2, `the requests first shared one call (calls: ${calls.join(', ')})`);
  t.equal(calls.reduce((a, b) => a + b, 0), calls[0]! * 2, 'then each ran once more alone');
});

interface Case {
  name: string;
  url?: string;
  payload?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
  code: string;
  env?: Record<string, string>;
}

const CASES: Case[] = [
  { name: 'malformed JSON', raw: '{"text": "abc"', status: 400, code: 'INVALID_JSON' },
  { name: 'empty JSON body', raw: '', status: 400, code: 'INVALID_JSON' },
  { name: 'prototype poisoning', raw: '{"text":"a","__proto__":{"x":1}}', status: 400, code: 'INVALID_JSON' },
  { name: 'text/plain', raw: 'hello', contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'form-encoded', raw: 'text=hello', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'missing text', payload: {}, status: 400, code: 'INVALID_TEXT' },
  { name: 'text is a number', payload: { text: 5 }, status: 400, code: 'INVALID_TEXT' },
  { name: 'text is null', payload: { text: null }, status: 400, code: 'INVALID_TEXT' },
  { name: 'text is an object', payload: { text: { a: 1 } }, status: 400, code: 'INVALID_TEXT' },
  { name: 'texts is a string', payload: { texts: 'abc' }, status: 400, code: 'INVALID_TEXT' },
  { name: 'texts holds a number', payload: { texts: ['ok', 3] }, status: 400, code: 'INVALID_TEXT' },
  { name: 'empty text', payload: { text: '' }, status: 400, code: 'EMPTY_TEXT' },
  { name: 'whitespace-only text', payload: { text: ' \n\t ' }, status: 400, code: 'EMPTY_TEXT' },
  { name: 'empty text in a batch', payload: { texts: ['ok', ''] }, status: 400, code: 'EMPTY_TEXT' },
  { name: 'blank text in a batch', payload: { texts: ['ok', '   '] }, status: 400, code: 'EMPTY_TEXT' },
  { name: 'empty batch', payload: { texts: [] }, status: 400, code: 'EMPTY_BATCH' },
  { name: 'batch over the limit', payload: { texts: ['a', 'b', 'c', 'd'] }, status: 413, code: 'BATCH_TOO_LARGE', env: { MAX_BATCH_SIZE: '3' } },
  { name: 'body over the limit', payload: { text: 'y'.repeat(4096) }, status: 413, code: 'BODY_TOO_LARGE', env: { BODY_LIMIT_BYTES: '1024' } },
  { name: 'body is an array', payload: [SEED_SPAM], status: 400, code: 'INVALID_REQUEST' },
  { name: 'body is a string', raw: '"just a string"', status: 400, code: 'INVALID_REQUEST' },
  { name: 'both text and texts', payload: { text: 'a', texts: ['b'] }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'invocations without inputs', url: '/invocations', payload: { text: 'a' }, status: 400, code: 'INVALID_TEXT' },
  { name: 'invocations: empty inputs', url: '/invocations', payload: { inputs: [] }, status: 400, code: 'EMPTY_BATCH' },
  { name: 'invocations: too many inputs', url: '/invocations', payload: { inputs: ['a', 'b', 'c', 'd'] }, status: 413, code: 'BATCH_TOO_LARGE', env: { MAX_BATCH_SIZE: '3' } },
  { name: 'invocations: non-string input', url: '/invocations', payload: { inputs: [{ text: 'a' }] }, status: 400, code: 'INVALID_TEXT' },
  { name: 'invocations: blank input', url: '/invocations', payload: { inputs: [' '] }, status: 400, code: 'EMPTY_TEXT' },
];

t.test('input errors: stable code, JSON error shape, never a 500, no stack', async (t) => {
  const apps = new Map<string, Awaited<ReturnType<typeof makeApp>>>();
  t.teardown(async () => {
    for (const app of apps.values()) await app.close();
  });
  for (const c of CASES) {
    const key = JSON.stringify(c.env ?? {});
    let app = apps.get(key);
    if (!app) {
      app = await makeApp(c.env ?? {});
      apps.set(key, app);
    }
    const res = await app.inject({
      method: 'POST',
      url: c.url ?? '/predict',
      headers: { 'content-type': c.contentType ?? 'application/json', 'x-request-id': 'case-1' },
      payload: c.raw ?? JSON.stringify(c.payload),
    });
    t.equal(res.statusCode, c.status, `${c.name}: status (${res.body})`);
    const body = res.json();
    t.equal(body.code, c.code, `${c.name}: code`);
    t.equal(body.statusCode, c.status, `${c.name}: statusCode in body`);
    t.type(body.error, 'string');
    t.type(body.message, 'string');
    t.equal(body.requestId, 'case-1', `${c.name}: requestId`);
    t.notOk('stack' in body, `${c.name}: no stack`);
    t.match(res.headers['content-type'], /^application\/json/);
  }
});
