/**
 * The hot-path vectors (shared/metric-vectors.ts): the exposition a CounterVec/HistogramVec
 * renders equals prom-client's own Counter/Histogram fed the same updates (values, `le` edges,
 * +Inf, _sum, _count, the registry's default labels), series appear at 0 or only once touched,
 * series added on first use (OPEN) keep their values as the arrays grow, reset() clears, and a
 * vector that disagrees with its catalogue entry is refused.
 */
import t from 'tap';
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterVec, HistogramVec, OPEN, type LabelDim } from '../../../shared/metric-vectors.js';
import { EXPORTER_METRICS as M, INFERENCE_METRICS, type MetricDef } from '../../../shared/metrics.js';
import { parseSamples } from '../../helpers/fuzz-prom.js';

const RESULT: LabelDim = { name: 'result', values: ['ham', 'spam'] };
const ROUTE_STATUS: LabelDim[] = [
  { name: 'route', values: ['/predict', '/health'] },
  { name: 'status_code', values: ['200', '400'] },
];

/** Samples with their labels sorted: the same series and values, whatever order labels are printed in. */
function samples(text: string): string[] {
  return parseSamples(text)
    .map(({ name, labels, value }) => `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')}} ${value}`)
    .sort();
}

async function exposition(register: (r: Registry) => void): Promise<string> {
  const r = new Registry();
  register(r);
  return r.metrics();
}

t.test('CounterVec renders what a prom-client Counter renders', async (t) => {
  const def = M.httpRequestsTotal;
  const vec = new CounterVec(def, ROUTE_STATUS, 'none');
  t.equal(vec.size, 4, 'one series per combination of the closed sets');
  // Series index = position in the cross product, first label slowest: (/predict,200)=0, (/predict,400)=1, (/health,200)=2.
  vec.inc(0);
  vec.inc(0, 2);
  vec.inc(2);
  t.equal(vec.value(0), 3);
  t.equal(vec.total(), 4);

  const mine = await exposition((r) => vec.registerIn(r));
  const theirs = await exposition((r) => {
    const c = new Counter({ name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [r] });
    c.inc({ route: '/predict', status_code: '200' }, 3);
    c.inc({ route: '/health', status_code: '200' });
  });
  t.equal(mine, theirs);
  t.notMatch(mine, /status_code="400"/, "zeroSeries 'none': untouched series are not reported");
});

t.test("CounterVec with zeroSeries 'all' reports every series from the start; reset() clears", async (t) => {
  const vec = new CounterVec(M.predictionsTotal, [RESULT]);
  const before = await exposition((r) => vec.registerIn(r));
  t.match(before, /spam_detector_predictions_total\{result="ham"\} 0\n/);
  t.match(before, /spam_detector_predictions_total\{result="spam"\} 0\n/);
  vec.inc(1, 5);
  vec.reset();
  t.equal(vec.total(), 0);
});

t.test('HistogramVec renders what a prom-client Histogram renders, values on a bound included', async (t) => {
  const def = M.responseTimeSeconds;
  const vec = new HistogramVec(def);
  const buckets = def.buckets!;
  const values = [0, buckets[0]!, buckets[3]!, (buckets[3]! + buckets[4]!) / 2, buckets.at(-1)!, buckets.at(-1)! * 10];
  for (const v of values) vec.observe(0, v);
  t.equal(vec.count(0), values.length);
  t.equal(vec.sum(0), values.reduce((a, b) => a + b, 0));
  t.equal(vec.cumulative(0).at(-1), values.length, '+Inf holds every observation');

  const mine = await exposition((r) => vec.registerIn(r));
  const theirs = await exposition((r) => {
    const h = new Histogram({ name: def.name, help: def.help, buckets: [...buckets], registers: [r] });
    for (const v of values) h.observe(v);
  });
  t.equal(mine, theirs);
});

t.test('HistogramVec with labels: untouched series stay out under zeroSeries none', async (t) => {
  const def: MetricDef = { ...M.responseTimeSeconds, labelNames: ['result'] };
  const vec = new HistogramVec(def, [RESULT], 'none');
  vec.observe(1, 0.003);
  const text = await exposition((r) => vec.registerIn(r));
  t.match(text, /_count\{result="spam"\} 1\n/);
  t.notMatch(text, /result="ham"/);
  vec.reset();
  t.equal(vec.count(1), 0);
  t.notMatch(await exposition((r) => vec.registerIn(r)), /result="spam"/, 'reset series are untouched again');
});

t.test('a vector that disagrees with its catalogue entry is refused', async (t) => {
  t.throws(() => new CounterVec(M.httpRequestsTotal, [RESULT]), /label dimensions \[result\] do not match the catalogue \[route,status_code\]/);
  t.throws(() => new CounterVec(M.responseTimeSeconds), /is a histogram, not a counter/);
  t.throws(() => new HistogramVec(M.predictionsTotal, [RESULT]), /is not a histogram with buckets/);
  t.throws(() => new HistogramVec({ ...M.responseTimeSeconds, buckets: [0.1, 0.1, 1] }), /buckets must increase/);
});

t.test('OPEN HistogramVec: series added on first use render as prom-client labelled children, under default labels', async (t) => {
  const def = INFERENCE_METRICS.httpRequestDurationSeconds;
  const vec = new HistogramVec(def, OPEN, 'none');
  t.equal(vec.size, 0, 'no series before the first addSeries');
  // More series than the first allocation (1), so the arrays grow several times while holding values.
  const series: Array<[Record<string, string>, number[]]> = [];
  for (let i = 0; i < 20; i++) {
    const labels = { status_code: String(200 + i), route: i % 2 ? '/predict' : '/health', method: i % 3 ? 'POST' : 'GET' };
    series.push([labels, [0.0004 * (i + 1), 0.02 * i, 3 + i]]);
  }
  const indexes = series.map(([labels]) => vec.addSeries(labels));
  t.same(indexes, [...series.keys()], 'indexes are given in order');
  series.forEach(([, values], i) => values.forEach((v) => vec.observe(indexes[i]!, v)));

  const mine = await exposition((r) => {
    r.setDefaultLabels({ worker: '3' });
    vec.registerIn(r);
  });
  const theirs = await exposition((r) => {
    r.setDefaultLabels({ worker: '3' });
    const h = new Histogram({ name: def.name, help: def.help, labelNames: [...def.labelNames], buckets: [...def.buckets!], registers: [r] });
    for (const [labels, values] of series) for (const v of values) h.observe(labels, v);
  });
  // prom-client prints a histogram's `le` and the default labels before the series' own labels;
  // the vectors print them after. Prometheus reads labels in any order: compare the samples.
  t.same(samples(mine), samples(theirs));
  t.equal(samples(mine).length, 20 * (def.buckets!.length + 3), 'every bucket, +Inf, _sum and _count of each series');
  t.equal(mine.split('\n').slice(0, 2).join('\n'), theirs.split('\n').slice(0, 2).join('\n'), 'same HELP and TYPE');
  t.match(mine, /route="\/predict",method="POST",status_code="201",le="\+Inf",worker="3"/, 'labels in catalogue order, whatever order addSeries got');
});

t.test('OPEN vectors refuse a series without exactly the catalogue labels', async (t) => {
  const vec = new CounterVec(M.httpRequestsTotal, OPEN);
  t.throws(() => vec.addSeries({ route: '/predict' }), /needs exactly the labels \[route,status_code\], got \[route\]/);
  t.throws(() => vec.addSeries({ route: '/predict', code: '200' }), /needs exactly the labels/);
  const i = vec.addSeries({ status_code: '200', route: '/predict' });
  vec.inc(i, 2);
  t.equal(vec.total(), 2);
  t.match(await exposition((r) => vec.registerIn(r)), /spam_detector_http_requests_total\{route="\/predict",status_code="200"\} 2\n/);
});
