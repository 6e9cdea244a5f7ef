/**
 * The drift monitor (services/exporter/src/drift/monitor.ts): per model version, PSI after
 * enough texts, bounded versions; DRIFT_WINDOW_TEXTS validated; and the channel path
 * hello(reference) -> request(prepared_length, known_ppm) -> spam_detector_drift_psi through the
 * exporter's ingest and parser; DRIFT_REFERENCE (one kind's part of the reference, the fallback
 * to the whole one for a card without it).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { DriftMonitor, MAX_VERSIONS } from '../../../../services/exporter/src/drift/monitor.js';
import { createIngest } from '../../../../services/exporter/src/exporter.js';
import { FrameParser } from '../../../../services/exporter/src/parser.js';
import { readExporterConfig } from '../../../../services/exporter/src/config.js';
import { EventEncoder } from '../../../../shared/event-encode.js';
import { reference, uniform } from '../../../helpers/drift-reference.js';
import type { ChannelEvent } from '../../../../shared/events.js';
import { cardReference, type DriftReference, type DriftReferenceChoice, type ReferenceHistogram } from '../../../../shared/drift-reference.js';
import { REPO_ROOT } from '../../../../shared/paths.js';
import { prepareText } from '../../../../shared/model-text.js';
import { smsTexts } from '../../../helpers/sms.js';


t.test('DriftMonitor: per version, PSI after minTexts, bounded versions, reference kept or reset', async (t) => {
  const m = new DriftMonitor(300);
  t.equal(m.minTexts, 100);
  m.observe('v1', 10, 0.5, 0.5);
  t.equal(m.psi('v1', 'text_length'), undefined, 'no reference: not tracked');
  m.setReference('v1', reference());
  for (let i = 0; i < 99; i++) m.observe('v1', 10, 0.95, 0.05);
  t.equal(m.psi('v1', 'known_term_ratio'), undefined, 'fewer than minTexts: absent');
  m.observe('v1', 10, 0.95, 0.05);
  const drifted = m.psi('v1', 'known_term_ratio')!;
  t.ok(drifted > 0.25, `all texts in one bin of ten: PSI ${drifted.toFixed(2)}`);
  m.setReference('v1', reference());
  t.equal(m.psi('v1', 'known_term_ratio'), drifted, 'the same reference again keeps the window');
  m.setReference('v1', reference(uniform([0, 0.5, 1])));
  t.equal(m.psi('v1', 'known_term_ratio'), undefined, 'a different reference starts over');
  // Texts that match the reference: low PSI.
  const m2 = new DriftMonitor(2000);
  m2.setReference('v2', reference());
  for (let i = 0; i < 2000; i++) m2.observe('v2', (i * 37) % 4000, ((i * 7919) % 1000) / 1000, ((i * 104729) % 1000) / 1000);
  for (const s of ['known_term_ratio', 'spam_probability'] as const) {
    const v = m2.psi('v2', s)!;
    t.ok(v < 0.1, `${s}: texts spread like the reference give PSI ${v.toFixed(4)} < 0.1`);
  }
  // A worker without a known-term ratio: that window stays empty.
  const m3 = new DriftMonitor(100);
  m3.setReference('v3', reference());
  for (let i = 0; i < 100; i++) m3.observe('v3', 10, undefined, 0.5);
  t.equal(m3.psi('v3', 'known_term_ratio'), undefined);
  t.not(m3.psi('v3', 'text_length'), undefined);
  // Bounded: the oldest version is forgotten.
  for (let i = 0; i < MAX_VERSIONS + 3; i++) m3.setReference(`x${i}`, reference());
  t.notOk(m3.hasReference('v3'), 'the oldest version was evicted');
  t.ok(m3.hasReference(`x${MAX_VERSIONS + 2}`));
});

t.test('DRIFT_WINDOW_TEXTS is validated', async (t) => {
  t.equal(readExporterConfig({}).driftWindowTexts, 2000, 'default');
  t.equal(readExporterConfig({ DRIFT_WINDOW_TEXTS: '300' }).driftWindowTexts, 300);
  for (const bad of ['0', '10', 'abc', '-5', '2000000', '1.5']) {
    t.throws(() => readExporterConfig({ DRIFT_WINDOW_TEXTS: bad }), /DRIFT_WINDOW_TEXTS/, `refuses ${bad}`);
  }
});

t.test('the channel carries the reference and the signals into spam_detector_drift_psi', async (t) => {
  const registry = new Registry();
  const ingest = createIngest(registry, undefined, { driftWindowTexts: 200 });
  const parser = new FrameParser();
  const enc = new EventEncoder({ worker: '0', pid: 4242 }, 'tfidf-test-1', reference());
  const feed = (line: string): ChannelEvent => {
    const e = parser.parse(line.trimEnd());
    if (typeof e === 'string') throw new Error(`rejected ${e}: ${line}`);
    ingest.handler.event(1, e);
    return e;
  };
  ingest.handler.connected(1);
  const hello = feed(enc.hello(0.99, { published_events: 0, delivered_events: 0, dropped_events: 0, queued_events: 0 }));
  t.same((hello as { reference?: unknown }).reference, reference(), 'the hello carries the reference');
  const other = new EventEncoder({ worker: '0', pid: 4242 }, 'tfidf-test-1', reference());
  other.setModelVersion('tfidf-test-2');
  const books0 = { published_events: 0, delivered_events: 0, dropped_events: 0, queued_events: 0 };
  t.notMatch(other.hello(0.9, books0), /"reference"/, 'a new model without a reference: its hellos carry none (never the old one)');
  other.setModelVersion('tfidf-test-3', reference(uniform([0, 1])));
  t.match(other.hello(0.9, books0), /"model_version":"tfidf-test-3".*"reference":\{/, 'a new model with one: its own');
  const send = (n: number, known: number): void => {
    for (let i = 0; i < n; i++) {
      feed(enc.request({
        route: '/predict', method: 'POST', status: 200, latencySeconds: 0.001, inferenceSeconds: 0.0005, batchSize: 1,
        predictions: [{ label: 'ham', confidence: 0.9, text_length: 120, prepared_length: 120, known_term_ratio: known }],
      }));
    }
  };
  const value = async (name: string, labels: Record<string, string>): Promise<number | undefined> => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name) as { values: { labels: Record<string, string | number>; value: number }[] } | undefined;
    return m?.values.find((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x))?.value;
  };
  send(50, 0.95);
  t.equal(await value('spam_detector_drift_psi', { signal: 'known_term_ratio' }), undefined, 'absent below 100 texts');
  t.equal(await value('spam_detector_drift_window_texts', { signal: 'known_term_ratio', model_version: 'tfidf-test-1' }), 50);
  send(150, 0.95);
  const high = await value('spam_detector_drift_psi', { signal: 'known_term_ratio', model_version: 'tfidf-test-1' });
  t.ok(high !== undefined && high > 0.25, `PSI ${high} for texts all in one bin`);
  const text = await registry.metrics();
  t.match(text, /spam_detector_text_known_term_ratio_count 200/, 'known-term ratio histogram counts every text');
  t.match(text, /spam_detector_text_length_chars_bucket\{le="160"\} 200/, 'length histogram: 120 chars in le=160');
  t.match(text, /spam_detector_drift_signal_mean\{signal="known_term_ratio",model_version="tfidf-test-1",source="reference"\} 0\.5/, 'reference mean');
  t.match(text, /spam_detector_drift_signal_mean\{signal="known_term_ratio",model_version="tfidf-test-1",source="live"\} 0\.95/, 'live mean');
  // The version's worker leaves: its frozen figures are no longer exposed.
  ingest.handler.disconnected(1);
  t.equal(await value('spam_detector_drift_psi', { signal: 'known_term_ratio' }), undefined, 'not served: not exposed');
});

t.test('the parser keeps a hello with a malformed reference (without it) and checks the signals', async (t) => {
  const parser = new FrameParser();
  const enc = new EventEncoder({ worker: '0', pid: 4242 }, 'v1');
  const books = { published_events: 0, delivered_events: 0, dropped_events: 0, queued_events: 0 };
  const good = JSON.parse(enc.hello(1, books)) as Record<string, unknown>;
  const withBad = JSON.stringify({ ...good, reference: { texts: 1, classMix: { spam: 0, ham: 1 } } });
  const e = parser.parse(withBad);
  t.equal(typeof e, 'object', 'hello accepted');
  t.notOk('reference' in (e as object), 'malformed reference dropped');
  const req = (p: Record<string, unknown>): string =>
    JSON.stringify({ v: 2, type: 'request', route: '/predict', method: 'POST', status: 200, latency_us: 5, predictions: [{ label: 'ham', confidence_ppm: 900000, text_length: 5, ...p }] });
  t.equal(typeof parser.parse(req({ prepared_length: 5, known_ppm: 500000 })), 'object');
  t.equal(typeof parser.parse(req({})), 'object', 'signals are optional');
  t.equal(parser.parse(req({ known_ppm: 1_000_001 })), 'invalid_field');
  t.equal(parser.parse(req({ known_ppm: 0.5 })), 'invalid_field', 'millionths are integers');
  t.equal(parser.parse(req({ prepared_length: -1 })), 'invalid_field');
  t.equal(parser.parse(req({ prepared_length: 'x' })), 'invalid_field');
});

/** A reference whose SMS part has short texts while the whole (emails too) is mostly long ones. */
function mixedReference(): DriftReference {
  const lengths = [0, 20, 40, 80, 160, 320, 640, 1280, 2560, 4000];
  const sms: ReferenceHistogram = { edges: lengths, proportions: [0.15, 0.25, 0.35, 0.25, 0, 0, 0, 0, 0] };
  const all: ReferenceHistogram = { edges: lengths, proportions: [0.02, 0.03, 0.05, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1] };
  const whole = { ...reference(), textLength: all };
  return { ...whole, byKind: { sms: { ...reference(), texts: 400, textLength: sms }, email: { ...whole, texts: 600 } } };
}

/** `n` text lengths spread over the bins like `h` (each at its bin's midpoint). */
function lengthsLike(h: ReferenceHistogram, n: number): number[] {
  return h.proportions.flatMap((p, i) => Array<number>(Math.round(p * n)).fill((h.edges[i]! + h.edges[i + 1]!) / 2));
}

t.test('DRIFT_REFERENCE: a kind\'s part of the reference, or all; PSI of an SMS window near 0 against sms', async (t) => {
  const ref = mixedReference();
  const smsWindow = lengthsLike(ref.byKind!.sms!.textLength, 2000);
  const psiAgainst = (choice: DriftReferenceChoice): number => {
    const m = new DriftMonitor(2000, { reference: choice });
    m.setReference('v1', ref);
    for (const len of smsWindow) m.observe('v1', len, undefined, 0.5);
    t.equal(m.referenceInUse('v1'), choice, `${choice} in use`);
    return m.psi('v1', 'text_length')!;
  };
  const sms = psiAgainst('sms');
  const all = psiAgainst('all');
  t.ok(sms < 0.01, `SMS texts against the sms reference: PSI ${sms.toFixed(4)}`);
  t.ok(all > 0.25, `the same texts against the whole reference: PSI ${all.toFixed(2)} (a false InputDrift page)`);
  t.ok(psiAgainst('email') > 0.25, 'and against the email part');
  t.equal(new DriftMonitor(100).reference, 'all', 'default: the whole reference');
});

t.test('a card without the selected kind: the whole reference, one warning per version, no event lost', async (t) => {
  const warned: [string, string][] = [];
  const m = new DriftMonitor(200, { reference: 'sms', onFallback: (v, k) => warned.push([v, k]) });
  m.setReference('old', reference());
  m.setReference('old', reference());
  m.setReference('email-only', { ...mixedReference(), byKind: { email: mixedReference().byKind!.email! } });
  m.setReference('new', mixedReference());
  t.same(warned, [['old', 'sms'], ['email-only', 'sms']], 'once per version, not for a version that has the kind');
  t.equal(m.referenceInUse('old'), 'all');
  t.equal(m.referenceInUse('new'), 'sms');
  t.equal(m.referenceInUse('unknown'), undefined);
  for (let i = 0; i < 200; i++) m.observe('old', 10 + (i % 400), 0.5, 0.5);
  t.not(m.psi('old', 'text_length'), undefined, 'the fallback version still gets its PSI');
  // Through the exporter's ingest: the warning is logged and the reference in use is exposed.
  const registry = new Registry();
  const logs: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const log = { warn: (fields: Record<string, unknown>, msg: string) => logs.push({ level: 'warn', msg, fields }), debug() {}, info() {}, error() {} };
  const ingest = createIngest(registry, log as unknown as Parameters<typeof createIngest>[1], { driftWindowTexts: 200, driftReference: 'sms' });
  const parser = new FrameParser();
  const books = { published_events: 0, delivered_events: 0, dropped_events: 0, queued_events: 0 };
  const feed = (conn: number, line: string): void => {
    const e = parser.parse(line.trimEnd());
    if (typeof e === 'string') throw new Error(`rejected ${e}`);
    ingest.handler.event(conn, e);
  };
  ingest.handler.connected(1);
  ingest.handler.connected(2);
  ingest.handler.connected(3);
  feed(1, new EventEncoder({ worker: '0', pid: 1 }, 'v-old', reference()).hello(0.9, books));
  feed(2, new EventEncoder({ worker: '1', pid: 2 }, 'v-old', reference()).hello(0.9, books));
  feed(3, new EventEncoder({ worker: '2', pid: 3 }, 'v-new', mixedReference()).hello(0.9, books));
  const warnings = logs.filter((l) => l.level === 'warn' && /drift reference/.test(l.msg));
  t.equal(warnings.length, 1, 'two workers of the old version: one warning');
  t.match(warnings[0]!.msg, /v-old has no "sms" drift reference \(DRIFT_REFERENCE\)/);
  t.same(warnings[0]!.fields, { model_version: 'v-old', drift_reference: 'sms' });
  const text = await registry.metrics();
  t.match(text, /spam_detector_drift_reference_info\{model_version="v-old",reference="all"\} 1/, 'fallback visible');
  t.match(text, /spam_detector_drift_reference_info\{model_version="v-new",reference="sms"\} 1/, 'selected kind visible');
  t.same(ingest.drift.referenceInUse('v-new'), 'sms');
});

t.test('the bundled model: its SMS training data against the sms part and against the whole reference', async (t) => {
  const card = JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'spam-classifier.card.json'), 'utf8')) as object;
  const ref = cardReference(card);
  t.ok(ref?.byKind?.sms && ref.byKind.email, 'the card carries email and sms parts, and the worker\'s hello keeps them');
  if (!ref?.byKind?.sms) return;
  const lengths = smsTexts().slice(0, 2000).map((x) => prepareText(x.text, 4000).length);
  const textLengthPsi = (choice: DriftReferenceChoice): number => {
    const m = new DriftMonitor(2000, { reference: choice });
    m.setReference('bundled', ref);
    for (const len of lengths) m.observe('bundled', len, undefined, 0.5);
    return m.psi('bundled', 'text_length')!;
  };
  const sms = textLengthPsi('sms');
  const all = textLengthPsi('all');
  t.comment(`text-length PSI of ${lengths.length} SMS: ${sms.toFixed(4)} against sms, ${all.toFixed(2)} against all`);
  t.ok(sms < 0.1, `against the sms part: ${sms.toFixed(4)} < 0.1 (no alert)`);
  t.ok(all >= 0.25, `against the whole reference: ${all.toFixed(2)} >= 0.25 (InputDrift critical)`);
});
