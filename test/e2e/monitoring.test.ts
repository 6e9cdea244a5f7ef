/**
 * End to end: the real services (compiled, from dist/), a real Prometheus with the committed
 * configuration and rule files, a real Alertmanager with the committed routing, and a loopback
 * webhook receiver. Traffic is driven over HTTP, then:
 *
 * - every query of every panel of the generated dashboard (Grafana's variables substituted)
 *   returns data from the live Prometheus, and so do the Grafana-managed alert queries;
 * - every recording rule's expression returns data, and so does its recorded series;
 * - every alert expression returns data, or, where the alert's comparison rightly filters
 *   everything out (nothing is wrong), every vector selector inside it does: the expression
 *   reads series that exist. A selector whose label matcher names a value that never occurred in
 *   this run (`status_code="503"`: nothing was shed) is checked by its metric name instead; each
 *   such case is listed in the test output;
 * - a sustained burst of bad requests makes HighErrorRate fire, go through Alertmanager's
 *   critical route and reach the webhook.
 *
 * The committed prometheus.yml is used with only addresses and intervals changed (scrape and
 * evaluate every 1s instead of 15s); the rule files are the repository's own. HighErrorRate's
 * `for: 1m` bounds the run: about 1.5 minutes. Inference runs with WORKERS=2 and one worker is
 * killed once, so the per-worker and restart panels have something to show.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnService, type SpawnedService } from '../helpers/spawn.js';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';

const ADMIN_TOKEN = 'monitoring-e2e-admin-token';
import {
  dashboardQueries,
  findBinary,
  instantQuery,
  readRuleGroups,
  startMonitoringStack,
  type MonitoringStack,
  type WebhookNotification,
} from '../helpers/prometheus.js';
import { PREDECESSOR_ALERTS } from '../../deploy/grafana/src/alerting.js';

const INTERVAL = '1s';
const t0 = Date.now();
const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

const SPAM = [
  'CONGRATULATIONS! You won $1000000! Click here to claim your prize now',
  'Cheap meds online, no prescription needed, order today and save 90%',
  'Make money fast working from home, limited offer, reply with your bank details',
];
const HAM = [
  'Hi Bob, the meeting moved to 3pm tomorrow, see you in room 4',
  'Attached is the quarterly report we discussed on Monday. Let me know your comments.',
  'Can you review my pull request for the parser fix before Friday?',
];

/**
 * Vector selectors of a PromQL expression: metric names with their {matchers}, skipping
 * functions, keywords, grouping label lists, strings and range/duration brackets.
 */
function vectorSelectors(expr: string): string[] {
  const out: string[] = [];
  const grouping = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
  // Aggregation operators may be followed by `by (...)` before their parenthesis.
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values']);
  const closing = (from: number, open: string, close: string): number => {
    let depth = 0;
    for (let k = from; k < expr.length; k++) {
      const ch = expr[k]!;
      if (ch === '"' || ch === "'") {
        k = expr.indexOf(ch, k + 1);
        continue;
      }
      if (ch === open) depth++;
      if (ch === close && --depth === 0) return k;
    }
    throw new Error(`unbalanced ${open} in ${expr}`);
  };
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'") {
      i = expr.indexOf(c, i + 1) + 1;
    } else if (c === '[') {
      i = closing(i, '[', ']') + 1;
    } else if (/[0-9.]/.test(c)) {
      i += /^[0-9.]+(?:[eE][+-]?[0-9]+)?[a-zA-Z]*/.exec(expr.slice(i))![0].length;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const id = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))![0];
      let j = i + id.length;
      while (/\s/.test(expr[j] ?? '')) j++;
      if (expr[j] === '(') {
        i = grouping.has(id) ? closing(j, '(', ')') + 1 : j; // a label list, or a function call
      } else if (keywords.has(id)) {
        i = j;
      } else if (expr[j] === '{') {
        const end = closing(j, '{', '}');
        out.push(id + expr.slice(j, end + 1));
        i = end + 1;
      } else {
        out.push(id);
        i = i + id.length;
      }
    } else {
      i++;
    }
  }
  return [...new Set(out)];
}

/** POST JSON; a network error is reported as status 0 (counted as unexpected by the callers). */
async function post(url: string, body: string): Promise<{ status: number; json: unknown }> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
    text = await res.text();
  } catch (err) {
    return { status: 0, json: String(err) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** Children of `pid` (the cluster primary's workers). */
function childPids(pid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map(Number);
}

/** Polls an instant query until it returns samples or the deadline passes. */
async function queryUntilData(url: string, expr: string, deadline: number): Promise<number> {
  for (;;) {
    const samples = await instantQuery(url, expr);
    if (samples.length > 0 || Date.now() > deadline) return samples.length;
    await sleep(1_000);
  }
}

t.test('vectorSelectors finds the selectors the alert check relies on', async (t) => {
  t.same(vectorSelectors('sum by (job, le) (rate(a_bucket{x="1", y=~"p|q"}[5m])) / on () group_left () b:c:d > 0.5'), ['a_bucket{x="1", y=~"p|q"}', 'b:c:d']);
  t.same(vectorSelectors('(min by (job) (up{job="j"}) == 0) or absent(x) and on (job) histogram_quantile(0.99, y[1h]) >= 1e-9'), ['up{job="j"}', 'x', 'y']);
  t.same(vectorSelectors('abs(m - on () group_left () vector(0.3)) > 0.2 unless z offset 5m'), ['m', 'z']);
});

t.test('monitoring stack end to end', async (t) => {
  for (const bin of ['prometheus', 'pgrep']) {
    if (!findBinary(bin)) {
      t.fail(`${bin} is missing (apt-get install prometheus prometheus-alertmanager procps; .ci/run does)`);
      return;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'monitoring-e2e-'));
  const env = { EVENTS_SOCKET: join(dir, 'events.sock'), HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  let exporter: SpawnedService | undefined;
  let inference: SpawnedService | undefined;
  let stack: MonitoringStack | undefined;
  let stopTraffic = false;
  const loops: Promise<void>[] = [];
  t.teardown(async () => {
    stopTraffic = true;
    await Promise.allSettled(loops);
    await stack?.stop();
    await inference?.stop();
    await exporter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  exporter = await spawnService('dist/services/exporter/src/main.js', { env: { ...env, EXPORTER_PORT: '0' } });
  t.comment(`exporter ready at ${elapsed()}`);
  // A shadow model (the bundled one again) and the admin routes, so the shadow and reload panels have data.
  inference = await spawnService('dist/services/inference/src/main.js', {
    env: { ...env, INFERENCE_PORT: '0', WORKERS: '2', SHADOW_MODEL_PATH: BUNDLED_MODEL_PATH, ADMIN_TOKEN },
    readyTimeoutMs: 60_000,
  });
  const api = inference.url;
  t.comment(`services ready at ${elapsed()}: inference ${api} (2 workers), exporter ${exporter.url}`);

  stack = await startMonitoringStack({ inference: `127.0.0.1:${inference.port}`, exporter: `127.0.0.1:${exporter.port}`, interval: INTERVAL });
  const prom = stack.prometheus.url;
  t.comment(`Prometheus ${prom} and Alertmanager ${stack.alertmanager.url} up, both targets scraped, at ${elapsed()}`);

  const reload = await fetch(`${inference.url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  t.comment(`POST /admin/reload: ${reload.status} ${await reload.text()}`);

  // One worker dies and is replaced, so the restart counter and per-worker views have data.
  const workers = childPids(inference.pid);
  t.equal(workers.length, 2, 'the cluster primary runs 2 workers');
  process.kill(workers[0]!, 'SIGKILL');
  // The primary counts the restart when the worker dies; its replacement loads the model meanwhile.
  await inference.waitForRecord((r) => typeof r.msg === 'string' && r.msg.includes('died; re-forking'), 30_000);
  t.pass(`a killed worker is being re-forked (${elapsed()})`);

  // Steady good traffic: single, batch and MLflow-style predictions, and feedback (some right,
  // some wrong) for the live-accuracy rules.
  const counts = { good: 0, bad: 0, feedback: 0, unexpected: 0 };
  let n = 0;
  loops.push(
    (async () => {
      while (!stopTraffic) {
        const i = n++;
        const text = (i % 2 === 0 ? SPAM : HAM)[i % 3]!;
        const r =
          i % 5 === 4
            ? await post(`${api}/predict`, JSON.stringify({ texts: [SPAM[i % 3], HAM[i % 3]] }))
            : i % 5 === 3
              ? await post(`${api}/invocations`, JSON.stringify({ inputs: [text] }))
              : await post(`${api}/predict`, JSON.stringify({ text }));
        if (r.status === 200) counts.good++;
        else counts.unexpected++;
        const pred = r.json as { id?: string; prediction?: string };
        if (pred.id && pred.prediction && i % 2 === 0) {
          // Three of four agree with the model: accuracy below the card, but that is not what is tested here.
          const label = i % 8 === 0 ? (pred.prediction === 'spam' ? 'ham' : 'spam') : pred.prediction;
          const f = await post(`${api}/feedback`, JSON.stringify({ id: pred.id, label }));
          if (f.status < 300) counts.feedback++;
          else counts.unexpected++;
        }
        await sleep(50);
      }
    })(),
  );

  // Wait until the exporter's request rate is recorded: traffic -> channel -> exporter -> scrape -> rule.
  const warm = await queryUntilData(prom, 'job:spam_detector_requests:rate1m > 0', Date.now() + 30_000);
  t.ok(warm > 0, `request rate recorded at ${elapsed()}`);

  // The burst: as many bad requests as good ones from now until HighErrorRate has been delivered.
  const burstStart = Date.now();
  loops.push(
    (async () => {
      while (!stopTraffic) {
        const r = await post(`${api}/predict`, '{"text": "unterminated');
        if (r.status === 400) counts.bad++;
        else counts.unexpected++;
        await sleep(50);
      }
    })(),
  );
  const alertArrived = stack.webhook.waitFor(
    (n: WebhookNotification) => (n.body.alerts ?? []).some((a) => a.status === 'firing' && a.labels.alertname === 'HighErrorRate'),
    150_000,
  );
  alertArrived.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile

  // While the alert's `for: 1m` runs: every query must find data.
  const deadline = Date.now() + 40_000;

  // The drift panels and alerts need the served model's drift reference (its card's `reference`).
  const served = (await (await fetch(`${api}/model`)).json()) as { reference?: unknown; card?: { reference?: unknown } };
  t.ok((served.card ?? served).reference !== undefined, 'the bundled model has a drift reference');

  await t.test('every dashboard panel query returns data', async (t) => {
    const queries = dashboardQueries();
    t.ok(queries.length >= 60, `${queries.length} panel queries`);
    for (const q of queries) {
      t.ok((await queryUntilData(prom, q.expr, deadline)) > 0, `${q.panel} [${q.refId}]: ${q.expr}`);
    }
    for (const a of PREDECESSOR_ALERTS) {
      t.ok((await queryUntilData(prom, a.query, deadline)) > 0, `Grafana alert "${a.title}": ${a.query}`);
    }
  });

  const groups = readRuleGroups();
  await t.test('every recording rule returns data', async (t) => {
    for (const r of groups.flatMap((g) => g.rules).filter((x) => x.record)) {
      t.ok((await queryUntilData(prom, r.expr, deadline)) > 0, `${r.record} expression`);
      const labels = Object.entries(r.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join(', ');
      t.ok((await queryUntilData(prom, `${r.record!}{${labels}}`, deadline)) > 0, `${r.record}{${labels}} is recorded`);
    }
  });

  await t.test('every alert expression returns data, or reads series that exist', async (t) => {
    for (const r of groups.flatMap((g) => g.rules).filter((x) => x.alert)) {
      const direct = await instantQuery(prom, r.expr);
      if (direct.length > 0) {
        t.pass(`${r.alert}: the expression itself returns ${direct.length} series (the condition holds now)`);
        continue;
      }
      const selectors = vectorSelectors(r.expr);
      t.ok(selectors.length > 0, `${r.alert}: silent now; checking its ${selectors.length} selectors`);
      for (const s of selectors) {
        if ((await queryUntilData(prom, s, deadline)) > 0) {
          t.pass(`${r.alert}: ${s} has series`);
          continue;
        }
        const name = s.replace(/\{.*$/s, '');
        const byName = await instantQuery(prom, `{__name__="${name}"}`);
        t.ok(byName.length > 0, `${r.alert}: ${s} matched nothing in this run; ${name} itself has ${byName.length} series`);
        t.comment(`label value not seen in this run: ${s} (metric ${name} is scraped)`);
      }
    }
  });

  await t.test('a burst of bad requests makes HighErrorRate reach the webhook', async (t) => {
    const n = await alertArrived;
    const alert = n.body.alerts!.find((a) => a.labels.alertname === 'HighErrorRate')!;
    t.equal(n.path, '/alerts/critical', 'delivered by the critical route');
    t.equal(alert.labels.severity, 'critical');
    t.equal(alert.labels.job, 'spam-detector-exporter');
    t.equal(alert.annotations.runbook_url, 'docs/runbooks.md#higherrorrate');
    t.match(alert.annotations.description, /% of prediction requests/);
    t.comment(`HighErrorRate delivered ${((n.receivedAt - burstStart) / 1000).toFixed(1)} s after the burst began (for: 1m), at ${elapsed()}`);
  });

  stopTraffic = true;
  await Promise.allSettled(loops);
  t.equal(counts.unexpected, 0, `every request answered as expected (${counts.good} good, ${counts.bad} bad, ${counts.feedback} feedback)`);
});
