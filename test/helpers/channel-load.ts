/**
 * A mixed client load with exact client-side tallies, to compare with what the exporter counted:
 * single and batch predictions on /predict and /invocations, bad requests of several kinds,
 * unknown routes, and feedback (accepted, duplicate, unknown id). Every answer is tallied by
 * route pattern and status, predictions by label, feedback by predicted x actual.
 */
import { Pool } from 'undici';

export const SPAMMY = [
  'CONGRATULATIONS! You won $1,000,000! Click here to claim your prize now',
  'Cheap meds online, no prescription needed, order today and save 80%',
  'URGENT: your account is suspended, verify your password at this link',
  'Make money fast working from home, limited offer, reply now',
];
export const HAMMY = [
  'Are we still on for lunch tomorrow at noon?',
  'Minutes of the Monday meeting are attached, please review item 3',
  'Can you send me the report before Friday? Thanks',
  'The build failed on the integration branch, looking into it',
];

export type Kind =
  | 'single'
  | 'batch'
  | 'invocations'
  | 'empty_text'
  | 'invalid_json'
  | 'wrong_type'
  | 'media_type'
  | 'not_found'
  | 'feedback'
  | 'feedback_duplicate'
  | 'feedback_unknown';

export interface Tally {
  /** Requests sent to the inference service, all routes. */
  requests: number;
  /** `${route} ${status}` with route as the service reports it (pattern or "unmatched"). */
  byRouteStatus: Map<string, number>;
  /** `${route} ${code}` of non-2xx answers. */
  errorsByRouteCode: Map<string, number>;
  /** /predict and /invocations requests, and those that failed. */
  predictionRequests: number;
  predictionErrors: number;
  predictions: { spam: number; ham: number };
  /** Texts per successful prediction request (the batch_size histogram's count). */
  batchRequests: number;
  /** Accepted feedback, `${predicted} ${actual}`. */
  feedback: Map<string, number>;
  /** Transport failures and answers outside the expected statuses. */
  failures: string[];
}

export function emptyTally(): Tally {
  return {
    requests: 0,
    byRouteStatus: new Map(),
    errorsByRouteCode: new Map(),
    predictionRequests: 0,
    predictionErrors: 0,
    predictions: { spam: 0, ham: 0 },
    batchRequests: 0,
    feedback: new Map(),
    failures: [],
  };
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** Every request `events` (one event each) plus accepted feedback (a second event). */
export function totalEvents(t: Tally): number {
  let fb = 0;
  for (const v of t.feedback.values()) fb += v;
  return t.requests + fb;
}

interface Spec {
  kind: Kind;
  path: string;
  route: string;
  body: string;
  contentType: string;
  expect: number[];
}

const MIX: Array<[Kind, number]> = [
  ['single', 50],
  ['batch', 10],
  ['invocations', 10],
  ['empty_text', 4],
  ['invalid_json', 3],
  ['wrong_type', 3],
  ['media_type', 2],
  ['not_found', 2],
  ['feedback', 12],
  ['feedback_duplicate', 2],
  ['feedback_unknown', 2],
];

/** Deterministic kind for request i (a fixed, spread-out pattern rather than randomness). */
export function kindOf(i: number, mix: Array<[Kind, number]> = MIX): Kind {
  const total = mix.reduce((a, [, w]) => a + w, 0);
  let slot = (i * 37) % total;
  for (const [kind, w] of mix) {
    if (slot < w) return kind;
    slot -= w;
  }
  return 'single';
}

function text(i: number): string {
  const pool = i % 2 === 0 ? SPAMMY : HAMMY;
  return `${pool[i % pool.length]!} #${i}`;
}

export interface LoadOptions {
  url: string;
  total: number;
  concurrency: number;
  /** Only successful kinds (no bad requests, no duplicate/unknown feedback). */
  onlyValid?: boolean;
  /** Called after each answer with the running count. */
  onAnswer?: (done: number) => void;
  /** Stop claiming new requests once this returns true (before `total` is reached). */
  stop?: () => boolean;
}

/**
 * Polls GET /ready until it answers 200 (bounded), recording every poll in the tally (each is a
 * request, so an event, too). A worker that just loaded its model may still report pressure
 * from the event-loop delay of the load; the bars are about the channel, not that warm-up.
 */
export async function waitReady(url: string, tally: Tally, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let okInARow = 0;
  // Both workers of a cluster must be past it: ask until several answers in a row are 200.
  while (okInARow < 10) {
    if (Date.now() > deadline) throw new Error(`${url}/ready did not stay 200 within ${timeoutMs} ms`);
    let status: number;
    let body: unknown;
    try {
      const res = await fetch(`${url}/ready`);
      status = res.status;
      body = await res.json().catch(() => null);
    } catch {
      tally.requests++;
      okInARow = 0;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    tally.requests++;
    bump(tally.byRouteStatus, `/ready ${status}`);
    if (status !== 200) {
      bump(tally.errorsByRouteCode, `/ready ${String((body as { code?: unknown } | null)?.code)}`);
      okInARow = 0;
      await new Promise((r) => setTimeout(r, 100));
    } else {
      okInARow++;
    }
  }
}

export async function runLoad(opts: LoadOptions, tally: Tally = emptyTally()): Promise<Tally> {
  const pool = new Pool(opts.url, { connections: opts.concurrency, pipelining: 1 });
  const ids: string[] = [];
  const rated = new Set<string>();
  let next = 0;
  let done = 0;
  const validMix: Array<[Kind, number]> = [
    ['single', 60],
    ['batch', 10],
    ['invocations', 10],
    ['feedback', 20],
  ];

  const spec = (i: number): Spec => {
    let kind = kindOf(i, opts.onlyValid ? validMix : MIX);
    if ((kind === 'feedback' || kind === 'feedback_duplicate') && ids.length === 0) kind = 'single';
    if (kind === 'feedback_duplicate' && rated.size === 0) kind = 'feedback';
    const json = 'application/json';
    switch (kind) {
      case 'single':
        return { kind, path: '/predict', route: '/predict', body: JSON.stringify({ text: text(i) }), contentType: json, expect: [200] };
      case 'batch': {
        const texts = Array.from({ length: 2 + (i % 4) }, (_, j) => text(i + j));
        return { kind, path: '/predict', route: '/predict', body: JSON.stringify({ texts }), contentType: json, expect: [200] };
      }
      case 'invocations': {
        const inputs = Array.from({ length: 1 + (i % 3) }, (_, j) => text(i + j + 1));
        return { kind, path: '/invocations', route: '/invocations', body: JSON.stringify({ inputs }), contentType: json, expect: [200] };
      }
      case 'empty_text':
        return { kind, path: '/predict', route: '/predict', body: '{"text":""}', contentType: json, expect: [400] };
      case 'invalid_json':
        return { kind, path: '/predict', route: '/predict', body: '{"text": "unterminated', contentType: json, expect: [400] };
      case 'wrong_type':
        return { kind, path: '/invocations', route: '/invocations', body: '{"inputs": [42]}', contentType: json, expect: [400] };
      case 'media_type':
        return { kind, path: '/predict', route: '/predict', body: 'text=hello', contentType: 'application/x-www-form-urlencoded', expect: [415] };
      case 'not_found':
        return { kind, path: `/no/such/route/${i}`, route: 'unmatched', body: '{}', contentType: json, expect: [404] };
      case 'feedback': {
        // Each stored id is rated once; when none is left, make a prediction instead.
        const id = ids.pop();
        if (id === undefined) return spec(i + 1);
        rated.add(id);
        const label = i % 3 === 0 ? 'ham' : 'spam';
        return { kind, path: '/feedback', route: '/feedback', body: JSON.stringify({ id, label }), contentType: json, expect: [200] };
      }
      case 'feedback_duplicate': {
        const id = [...rated][i % rated.size]!;
        return { kind, path: '/feedback', route: '/feedback', body: JSON.stringify({ id, label: 'spam' }), contentType: json, expect: [409] };
      }
      case 'feedback_unknown':
        return { kind, path: '/feedback', route: '/feedback', body: JSON.stringify({ id: `0.zzzzzzzz.${i}`, label: 'ham' }), contentType: json, expect: [404] };
    }
  };

  const record = (s: Spec, status: number, body: unknown): void => {
    tally.requests++;
    bump(tally.byRouteStatus, `${s.route} ${status}`);
    const ok = status >= 200 && status < 300;
    const b = body as Record<string, unknown> | null;
    if (!ok) bump(tally.errorsByRouteCode, `${s.route} ${String(b?.code)}`);
    if (!s.expect.includes(status)) tally.failures.push(`#${done} ${s.kind} ${s.path}: ${status} ${JSON.stringify(body).slice(0, 200)}`);
    if (s.route === '/predict' || s.route === '/invocations') {
      tally.predictionRequests++;
      if (!ok) tally.predictionErrors++;
      if (ok && b) {
        const preds = (Array.isArray(b.predictions) ? b.predictions : [b]) as Array<{ id: string; prediction: 'spam' | 'ham' }>;
        tally.batchRequests++;
        for (const p of preds) {
          tally.predictions[p.prediction]++;
          if (typeof p.id === 'string' && ids.length < 5000) ids.push(p.id);
        }
      }
    }
    if (s.kind === 'feedback' && ok && b) bump(tally.feedback, `${String(b.predicted)} ${String(b.actual)}`);
  };

  const client = async (): Promise<void> => {
    while (next < opts.total && !opts.stop?.()) {
      const s = spec(next++);
      try {
        const res = await pool.request({
          path: s.path,
          method: 'POST',
          headers: { 'content-type': s.contentType },
          body: s.body,
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        const raw = await res.body.text();
        let body: unknown = null;
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
        record(s, res.statusCode, body);
      } catch (err) {
        tally.requests++;
        tally.failures.push(`#${done} ${s.kind} ${s.path}: ${(err as Error).message}`);
      }
      opts.onAnswer?.(++done);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, client));
  } finally {
    await pool.close();
  }
  return tally;
}
