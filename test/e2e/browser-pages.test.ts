/**
 * The three pages people look at, in a real browser (the system Chromium via playwright-core),
 * against the compiled services: a prediction sent from Swagger UI at /docs, the exporter's
 * landing page showing the state that prediction (and a garbage frame) produced, and the model
 * report's charts. The same steps write the screenshots (scripts/screenshots.ts), here into a
 * temp dir.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { captureScreenshots, SAMPLE_SPAM, SCREENSHOT_FILES, type CaptureResult } from '../../scripts/screenshots.js';
import { exporterVersion } from '../../services/exporter/src/http/landing-state.js';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';
import { sendRawFrames, startBrowser, startPagesStack, type PagesStack } from '../helpers/browser.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const REPORT_PATH = BUNDLED_MODEL_PATH.replace(/\.onnx$/, '.report.html');

let stack: PagesStack;
let shots: CaptureResult;
let outDir: string;

t.before(async () => {
  // Services and browser start together: on a busy 2-core machine each takes seconds.
  const [started, browser] = await Promise.all([startPagesStack(t), startBrowser(t)]);
  stack = started;
  // One frame the exporter must reject, so the landing page has a malformed count to show.
  await sendRawFrames(stack.eventsSocket, ['this is not json']);
  outDir = t.testdir();
  shots = await captureScreenshots({ browser, inferenceUrl: stack.inference.url, exporterUrl: stack.exporter.url, outDir });
});

t.test('/docs: a prediction sent through Swagger UI (Try it out -> Execute) comes back', async (t) => {
  const { docs, problems } = shots;
  t.equal(docs.status, 200, 'Swagger UI shows 200');
  const body = docs.body as Record<string, unknown>;
  t.equal(body.prediction, 'spam', `"${SAMPLE_SPAM}" is spam`);
  t.type(body.id, 'string');
  const info = (await (await fetch(stack.inference.url)).json()) as { model_version: string };
  t.equal(body.model_version, info.model_version, 'answered by the served model');
  t.same(problems.docs, [], 'no console errors, page errors or failed requests');
});

t.test("exporter landing page: the channel's state as /metrics has it", async (t) => {
  const { landing, problems } = shots;
  t.equal(landing.version, `v${exporterVersion()}`);
  t.equal(landing['publishers-connected'], '1', 'the inference worker');
  t.equal(landing['events-malformed'], '1', 'the garbage frame');
  t.match(landing['events-malformed-detail'], 'invalid_json: 1');
  t.equal(landing['events-dropped'], '0');
  t.match(landing['last-event'], /^\d+(\.\d)? s ago$|min/, 'an event has arrived');
  t.match(landing['scrape-config'], `targets: ['${new URL(stack.exporter.url).host}']`);

  const metrics = await (await fetch(new URL('/metrics', stack.exporter.url))).text();
  const requests = Number(/^spam_detector_exporter_events_received_total\{type="request"\} (\d+)/m.exec(metrics)?.[1]);
  const shown = Number(/request: (\d+)/.exec(landing['events-received-detail'] ?? '')?.[1]);
  t.ok(shown >= 2, `request events shown (${shown}): at least the /docs page and the prediction`);
  t.ok(shown <= requests, `no more than /metrics counts now (${requests})`);
  t.match(landing['model-versions'], /\S/);
  t.same(problems.landing, [], 'no console errors');
});

t.test('/model/report: the charts render as SVG', { skip: existsSync(REPORT_PATH) ? false : `no ${REPORT_PATH} yet` }, async (t) => {
  const { report, problems } = shots;
  t.equal(report.status, 200);
  t.ok(report.charts.length >= 4, `${report.charts.length} charts (ROC, PR, confusion matrix, score distribution)`);
  for (const [i, c] of report.charts.entries()) {
    t.ok(c.width > 50 && c.height > 50, `chart ${i} laid out (${c.width}x${c.height})`);
    t.ok(c.shapes > 5, `chart ${i} drew ${c.shapes} shapes`);
  }
  t.same(problems.report, [], 'no console errors');
});

t.test('screenshots: one PNG per page', async (t) => {
  const expected = [SCREENSHOT_FILES.docs, SCREENSHOT_FILES.landing, ...(shots.report.status === 200 ? [SCREENSHOT_FILES.report] : [])];
  t.same(shots.files.map((f) => f.slice(outDir.length + 1)).sort(), [...expected].sort());
  for (const name of expected) {
    const file = join(outDir, name);
    t.ok(readFileSync(file).subarray(0, 8).equals(PNG_SIGNATURE), `${name} is a PNG`);
    t.ok(statSync(file).size > 10_000, `${name} has content (${statSync(file).size} bytes)`);
  }
});
