/**
 * A bounded load client for the operations tests: a fixed number of POST /predict requests over
 * keep-alive connections, every outcome counted (status codes, and errors that got no answer).
 */
import { Agent, request } from 'node:http';

export interface LoadResult {
  sent: number;
  /** Requests that got any HTTP answer, by status code. */
  statuses: Record<number, number>;
  /** Requests that got no HTTP answer, by error code (ECONNRESET, ECONNREFUSED, timeout...). */
  errors: Record<string, number>;
  /** Non-2xx answers by the `code` of their JSON error body (e.g. OVERLOADED). */
  codes: Record<string, number>;
  answered: number;
  ok: number;
  failed: number;
}

export interface LoadOptions {
  /** Base URL, e.g. http://127.0.0.1:5000 */
  url: string;
  total: number;
  concurrency: number;
  /** Per-request timeout (default 15 s): a bound, never asserted. */
  timeoutMs?: number;
  /** Pause between a worker's requests (default 0), to spread a small total over time. */
  pauseMs?: number;
  /** Called after each finished request (e.g. to trigger a reload mid-load). */
  onProgress?: (done: number) => void;
  /** Stop early (remaining requests are not sent). */
  signal?: AbortSignal;
}

const TEXTS = [
  'Hi Anna, are we still on for lunch tomorrow at noon?',
  'CONGRATULATIONS! You have WON $1,000,000. Click here to claim your prize now!!!',
  'The quarterly report is attached, comments welcome before Friday.',
  'Cheap meds online, no prescription needed, order today and save 90%',
];

function once(agent: Agent, url: URL, body: string, timeoutMs: number): Promise<{ status?: number; code?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        if (status >= 200 && status < 300) res.resume();
        else res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          if (text === '') return resolve({ status });
          let code = 'unparsed';
          try {
            const parsed = JSON.parse(text) as { code?: unknown };
            if (typeof parsed.code === 'string') code = parsed.code;
          } catch {
            // not JSON: counted as "unparsed"
          }
          resolve({ status, code });
        });
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const target = new URL('/predict', opts.url);
  const result: LoadResult = { sent: 0, statuses: {}, errors: {}, codes: {}, answered: 0, ok: 0, failed: 0 };
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.total && !opts.signal?.aborted) {
      const i = next++;
      result.sent++;
      const r = await once(agent, target, JSON.stringify({ text: TEXTS[i % TEXTS.length] }), opts.timeoutMs ?? 15_000);
      if (r.status !== undefined) {
        result.statuses[r.status] = (result.statuses[r.status] ?? 0) + 1;
        result.answered++;
        if (r.status >= 200 && r.status < 300) result.ok++;
        else result.failed++;
        if (r.code !== undefined) result.codes[r.code] = (result.codes[r.code] ?? 0) + 1;
      } else {
        result.errors[r.error!] = (result.errors[r.error!] ?? 0) + 1;
        result.failed++;
      }
      done++;
      opts.onProgress?.(done);
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return result;
}

/** One sample's value from Prometheus text exposition (no labels, or exact label set text). */
export function metricValue(exposition: string, name: string, labels = ''): number | undefined {
  const wanted = labels === '' ? name : `${name}{${labels}}`;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (sp > 0 && line.slice(0, sp) === wanted) return Number(line.slice(sp + 1));
  }
  return undefined;
}

/** Sum of every sample of a metric (all label sets). */
export function metricSum(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (m && m[1] === name) sum += Number(m[3]);
  }
  return sum;
}
