/**
 * POST /feedback: accepted once per recent prediction; unknown, expired and duplicate ids get
 * their own codes; the outcome carries predicted/actual for the events.
 */
import t from 'tap';
import { makeApp, SEED_SPAM } from '../../../helpers/inference.js';

async function predictId(app: Awaited<ReturnType<typeof makeApp>>, text = SEED_SPAM): Promise<{ id: string; prediction: string }> {
  const res = await app.inject({ method: 'POST', url: '/predict', payload: { text } });
  return res.json();
}

t.test('feedback for a recent prediction is accepted once', async (t) => {
  let seen: unknown;
  const app = await makeApp({}, {}, (app) =>
    app.addHook('onResponse', async (request) => {
      if (request.routeOptions.url === '/feedback') seen = request.outcome.feedback;
    }),
  );
  t.teardown(() => app.close());
  const p = await predictId(app);
  const other = p.prediction === 'spam' ? 'ham' : 'spam';

  const res = await app.inject({ method: 'POST', url: '/feedback', payload: { id: p.id, label: other } });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { id: p.id, predicted: p.prediction, actual: other, correct: false });
    t.match(seen, { predicted: p.prediction, actual: other, modelVersion: String }, 'outcome.feedback for the events plugin (with the version that predicted)');

  const again = await app.inject({ method: 'POST', url: '/feedback', payload: { id: p.id, label: p.prediction } });
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'FEEDBACK_ALREADY_RECORDED');
});

t.test('every prediction of a batch can get feedback', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const batch = (await app.inject({ method: 'POST', url: '/predict', payload: { texts: ['a b c', 'd e f'] } })).json();
  for (const p of batch.predictions) {
    const res = await app.inject({ method: 'POST', url: '/feedback', payload: { id: p.id, label: p.prediction } });
    t.equal(res.statusCode, 200);
    t.equal(res.json().correct, true);
  }
});

t.test('unknown ids: 404 UNKNOWN_PREDICTION', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const p = await predictId(app);
  const [worker, boot] = p.id.split('.');
  for (const id of [`${worker}.${boot}.zzzzzz`, '0.aaaaaaaa.1', 'not-an-id', '9.aaaaaaaa.1']) {
    const res = await app.inject({ method: 'POST', url: '/feedback', payload: { id, label: 'spam' } });
    t.equal(res.statusCode, 404, id);
    t.equal(res.json().code, 'UNKNOWN_PREDICTION', id);
  }
});

t.test('expired predictions: 410 PREDICTION_EXPIRED', async (t) => {
  let now = 1_000_000;
  const app = await makeApp({ FEEDBACK_TTL_SECONDS: '60' }, { now: () => now });
  t.teardown(() => app.close());
  const fresh = await predictId(app);
  const old = await predictId(app);
  now += 59_000;
  const ok = await app.inject({ method: 'POST', url: '/feedback', payload: { id: fresh.id, label: 'spam' } });
  t.equal(ok.statusCode, 200, 'within the TTL');
  now += 2_000;
  const res = await app.inject({ method: 'POST', url: '/feedback', payload: { id: old.id, label: 'spam' } });
  t.equal(res.statusCode, 410);
  t.equal(res.json().code, 'PREDICTION_EXPIRED');
});

t.test('the store is bounded: the oldest predictions are forgotten', async (t) => {
  const app = await makeApp({ FEEDBACK_MAX_ENTRIES: '2' });
  t.teardown(() => app.close());
  const first = await predictId(app);
  await predictId(app);
  await predictId(app);
  const res = await app.inject({ method: 'POST', url: '/feedback', payload: { id: first.id, label: 'spam' } });
  t.equal(res.json().code, 'UNKNOWN_PREDICTION');
});

t.test('invalid feedback bodies', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const p = await predictId(app);
  const cases: Array<[unknown, number, string]> = [
    [{ id: p.id, label: 'maybe' }, 400, 'INVALID_LABEL'],
    [{ id: p.id, label: 1 }, 400, 'INVALID_LABEL'],
    [{ id: p.id }, 400, 'INVALID_LABEL'],
    [{ label: 'spam' }, 400, 'INVALID_REQUEST'],
    [{ id: 42, label: 'spam' }, 400, 'INVALID_REQUEST'],
    [{ id: '', label: 'spam' }, 400, 'INVALID_REQUEST'],
    [[p.id, 'spam'], 400, 'INVALID_REQUEST'],
  ];
  for (const [payload, status, code] of cases) {
    const res = await app.inject({ method: 'POST', url: '/feedback', payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
    t.equal(res.statusCode, status, JSON.stringify(payload));
    t.equal(res.json().code, code, JSON.stringify(payload));
  }
  const plain = await app.inject({ method: 'POST', url: '/feedback', payload: 'x', headers: { 'content-type': 'text/plain' } });
  t.equal(plain.json().code, 'UNSUPPORTED_MEDIA_TYPE');
  const broken = await app.inject({ method: 'POST', url: '/feedback', payload: '{"id":', headers: { 'content-type': 'application/json' } });
  t.equal(broken.json().code, 'INVALID_JSON');
  // The bad requests above did not consume the prediction.
  const ok = await app.inject({ method: 'POST', url: '/feedback', payload: { id: p.id, label: 'spam' } });
  t.equal(ok.statusCode, 200);
});

t.test('FEEDBACK_TOKEN: a bearer token is required when set', async (t) => {
  const token = 'feedback-token-0123456789';
  const app = await makeApp({ FEEDBACK_TOKEN: token });
  t.teardown(() => app.close());
  const p = await predictId(app);
  const none = await app.inject({ method: 'POST', url: '/feedback', payload: { id: p.id, label: 'spam' } });
  t.equal(none.statusCode, 401);
  t.equal(none.json().code, 'UNAUTHORIZED');
  t.match(none.headers['www-authenticate'], /^Bearer/);
  const wrong = await app.inject({
    method: 'POST', url: '/feedback', payload: { id: p.id, label: 'spam' }, headers: { authorization: 'Bearer nope' },
  });
  t.equal(wrong.statusCode, 401);
  const right = await app.inject({
    method: 'POST', url: '/feedback', payload: { id: p.id, label: 'spam' }, headers: { authorization: `Bearer ${token}` },
  });
  t.equal(right.statusCode, 200);
  // Predictions stay open.
  t.equal((await app.inject({ method: 'POST', url: '/predict', payload: { text: 'x' } })).statusCode, 200);
});
