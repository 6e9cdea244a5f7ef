/**
 * Steady client load for fault tests: a bounded (or stoppable) stream of POST requests on a few
 * keep-alive connections (undici Pool), tallying every answer and every failure, so a test can
 * say exactly how many requests failed while it killed or stopped something.
 */
import { Pool, request } from 'undici';

export interface LoadTally {
  sent: number;
  /** Answers by status. */
  statuses: Map<number, number>;
  /** Requests that got no HTTP answer, by error code. */
  failures: Map<string, number>;
  /** Answers by the `worker` field of /health-like bodies, when present. */
  answered(): number;
  ok(): number;
}

export function newTally(): LoadTally {
  const statuses = new Map<number, number>();
  return {
    sent: 0,
    statuses,
    failures: new Map(),
    answered: () => [...statuses.values()].reduce((a, b) => a + b, 0),
    ok: () => statuses.get(200) ?? 0,
  };
}

export interface LoadSpec {
  url: string;
  path?: string;
  body: string | (() => string);
  concurrency: number;
  /** Stop after this many requests, or when `stop()` turns true. */
  total?: number;
  stop?: () => boolean;
  /** Close the connection after each answer (no keep-alive), e.g. when the server goes away on purpose. */
  closeEach?: boolean;
  /** Give up on an answer after this long (undici's default is 300 s); counted as UND_ERR_HEADERS_TIMEOUT. */
  timeoutMs?: number;
}

export async function runLoad(spec: LoadSpec, tally: LoadTally = newTally()): Promise<LoadTally> {
  const timeouts = spec.timeoutMs !== undefined ? { headersTimeout: spec.timeoutMs, bodyTimeout: spec.timeoutMs } : {};
  const pool = spec.closeEach ? undefined : new Pool(spec.url, { connections: spec.concurrency, pipelining: 1, ...timeouts });
  const path = spec.path ?? '/predict';
  const body = typeof spec.body === 'string' ? (): string => spec.body as string : spec.body;
  const more = (): boolean => !(spec.stop?.() ?? false) && (spec.total === undefined || tally.sent < spec.total);
  const worker = async (): Promise<void> => {
    while (more()) {
      tally.sent++;
      try {
        const opts = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: body() };
        const res = pool ? await pool.request({ path, ...opts }) : await request(`${spec.url}${path}`, { ...opts, reset: true, ...timeouts });
        await res.body.arrayBuffer();
        tally.statuses.set(res.statusCode, (tally.statuses.get(res.statusCode) ?? 0) + 1);
      } catch (err) {
        const e = err as { code?: string; cause?: { code?: string }; message?: string };
        const code = e.code ?? e.cause?.code ?? e.message ?? 'error';
        tally.failures.set(code, (tally.failures.get(code) ?? 0) + 1);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: spec.concurrency }, worker));
  } finally {
    await pool?.close();
  }
  return tally;
}

export function describeTally(t: LoadTally): string {
  const s = [...t.statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}:${v}`).join(' ');
  const f = [...t.failures].map(([k, v]) => `${k}:${v}`).join(' ');
  return `sent ${t.sent}, answers ${s || '-'}${f ? `, failures ${f}` : ''}`;
}
