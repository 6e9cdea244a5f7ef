/**
 * The drift bar, end to end with the compiled services and the bundled model: the exporter runs
 * with DRIFT_WINDOW_TEXTS=300; 400 English SMS (the repository's SMS training data), then 400 SMS
 * in Indonesian, a language none of the training corpora has. Afterwards
 * spam_detector_drift_psi{signal="known_term_ratio"} is >= 0.25 and at least twice its value
 * after the English phase. The texts reach the exporter only as signals (no text on the channel).
 * Then DRIFT_REFERENCE=sms: the same English SMS against the card's SMS part (the worker's hello
 * carries reference.byKind) give a text-length PSI under 0.1, where the whole reference pages.
 */
import { join } from 'node:path';
import t from 'tap';
import { parseMetrics, scratchDir, sumOf, waitFor } from '../helpers/channel.js';
import { spawnService } from '../helpers/spawn.js';
import { smsTexts } from '../helpers/sms.js';
import { indonesianSms } from '../helpers/foreign-sms.js';
import { DRIFT_SIGNALS } from '../../shared/drift-reference.js';

const dir = scratchDir('drift-e2e-');
const socketPath = join(dir, 'run', 'events.sock');
const WINDOW = 300;
const PHASE = 400;
const BATCH = 20;

t.test('known-term-ratio PSI: English SMS, then a language the model never saw', async (t) => {
  const common = { EVENTS_SOCKET: socketPath, HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  const exporter = await spawnService('dist/services/exporter/src/main.js', {
    env: { ...common, EXPORTER_PORT: '0', DRIFT_WINDOW_TEXTS: String(WINDOW) },
  });
  t.teardown(() => exporter.stop());
  const inference = await spawnService('dist/services/inference/src/main.js', {
    env: { ...common, INFERENCE_PORT: '0', WORKERS: '1', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => inference.stop());

  // GET /model is the card itself, or {version, ..., card} (both shapes have been served).
  const served = (await (await fetch(`${inference.url}/model`)).json()) as { version: string; reference?: unknown; card?: { reference?: unknown } };
  const card = { version: served.version, reference: (served.card ?? served).reference };
  t.ok(card.reference, `the served model's card has a drift reference (model ${card.version})`);
  if (!card.reference) return;

  const metrics = async (): Promise<Map<string, number>> => parseMetrics(await (await fetch(`${exporter.url}/metrics`)).text());
  const send = async (texts: string[]): Promise<void> => {
    for (let i = 0; i < texts.length; i += BATCH) {
      const res = await fetch(`${inference.url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts: texts.slice(i, i + BATCH) }),
      });
      const body = await res.text();
      if (res.status !== 200) t.fail(`batch ${i / BATCH} answered ${res.status}: ${body.slice(0, 300)}`);
    }
  };
  const phase = async (name: string, texts: string[], scoredBefore: number): Promise<Record<string, number>> => {
    await send(texts);
    await waitFor(async () => sumOf(await metrics(), 'spam_detector_text_known_term_ratio_count') >= scoredBefore + texts.length, `${name}: every text reached the exporter`);
    const m = await metrics();
    t.equal(sumOf(m, 'spam_detector_drift_window_texts', { signal: 'known_term_ratio', model_version: card.version }), WINDOW, `${name}: the window holds the last ${WINDOW} texts`);
    const psi: Record<string, number> = {};
    for (const s of DRIFT_SIGNALS) psi[s] = sumOf(m, 'spam_detector_drift_psi', { signal: s, model_version: card.version });
    const means = DRIFT_SIGNALS.map((s) => `${s} ${sumOf(m, 'spam_detector_drift_signal_mean', { signal: s, source: 'reference' }).toFixed(3)} -> ${sumOf(m, 'spam_detector_drift_signal_mean', { signal: s, source: 'live' }).toFixed(3)}`);
    t.comment(`${name}: PSI ${DRIFT_SIGNALS.map((s) => `${s}=${psi[s]!.toFixed(4)}`).join(', ')}; means (reference -> live) ${means.join(', ')}`);
    return psi;
  };

  const english = smsTexts().filter((_, i) => i % 10 === 3).slice(0, PHASE).map((x) => x.text);
  t.equal(english.length, PHASE, `${PHASE} English SMS`);
  const indonesian = indonesianSms(PHASE).map((x) => x.text);

  const en = await phase('after 400 English SMS', english, 0);
  const id = await phase('after 400 Indonesian SMS', indonesian, PHASE);
  t.ok(id.known_term_ratio! >= 0.25, `known_term_ratio PSI ${id.known_term_ratio!.toFixed(3)} >= 0.25 after the foreign phase`);
  t.ok(id.known_term_ratio! >= 2 * en.known_term_ratio!, `and at least twice the English phase's ${en.known_term_ratio!.toFixed(3)}`);
  t.ok(en.known_term_ratio! < 0.25, 'the English phase itself is not a significant shift');
  t.ok(en.text_length! >= 0.25, `SMS against the whole reference (emails too): text_length PSI ${en.text_length!.toFixed(2)}, what DRIFT_REFERENCE=sms is for`);
});

t.test('DRIFT_REFERENCE=sms: the same SMS against the model\'s SMS training texts', async (t) => {
  const sock = join(dir, 'sms', 'events.sock');
  const common = { EVENTS_SOCKET: sock, HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  const exporter = await spawnService('dist/services/exporter/src/main.js', {
    env: { ...common, EXPORTER_PORT: '0', DRIFT_WINDOW_TEXTS: String(WINDOW), DRIFT_REFERENCE: 'sms' },
  });
  t.teardown(() => exporter.stop());
  const inference = await spawnService('dist/services/inference/src/main.js', {
    env: { ...common, INFERENCE_PORT: '0', WORKERS: '1', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => inference.stop());
  const english = smsTexts().filter((_, i) => i % 10 === 3).slice(0, PHASE).map((x) => x.text);
  for (let i = 0; i < english.length; i += BATCH) {
    const res = await fetch(`${inference.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts: english.slice(i, i + BATCH) }) });
    t.equal(res.status, 200);
  }
  const metrics = async (): Promise<Map<string, number>> => parseMetrics(await (await fetch(`${exporter.url}/metrics`)).text());
  await waitFor(async () => sumOf(await metrics(), 'spam_detector_text_known_term_ratio_count') >= english.length, 'every text reached the exporter');
  const m = await metrics();
  t.equal(sumOf(m, 'spam_detector_drift_reference_info', { reference: 'sms' }), 1, 'the served version is compared with its sms part');
  t.equal(sumOf(m, 'spam_detector_drift_reference_info', { reference: 'all' }), 0, 'no fallback: the bundled card has one');
  const psi = sumOf(m, 'spam_detector_drift_psi', { signal: 'text_length' });
  const others = DRIFT_SIGNALS.map((signal) => `${signal}=${sumOf(m, 'spam_detector_drift_psi', { signal }).toFixed(4)}`).join(', ');
  t.comment(`DRIFT_REFERENCE=sms, last ${WINDOW} of ${english.length} English SMS: PSI ${others}`);
  t.ok(psi < 0.1, `text_length PSI ${psi.toFixed(4)} < 0.1: no InputDrift`);
});
