/**
 * Screenshots of the three pages people look at, for the README (docs/pages.md):
 * the API's try-it page after a prediction, the exporter's landing page and the model report.
 *
 *   npm run screenshots [-- --out docs/images]
 *
 * Starts the compiled exporter and inference (ports chosen by the OS, a private events socket),
 * sends a little traffic so the exporter has something to show, drives the system Chromium
 * through the pages and writes PNGs. The browser test runs captureScreenshots() into a temp dir.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { nodeFlagsFor, serviceEnvFor } from '../shared/node-flags.js';
import { REPO_ROOT } from '../shared/paths.js';
import { startService as startChild } from './lib/service-process.js';
import { launchChromium, watchProblems } from './browser/chromium.js';
import { openLanding, openReport, predictInDocs, type DocsResult, type LandingValues, type ReportResult } from './browser/pages.js';

export const SAMPLE_SPAM = 'CONGRATULATIONS! You have been selected to receive a FREE cruise. Click here to claim your prize now!';

export const SCREENSHOT_FILES = { docs: 'docs-try-it.png', landing: 'exporter-landing.png', report: 'model-report.png' } as const;

export interface CaptureOptions {
  browser: Browser;
  inferenceUrl: string;
  exporterUrl: string;
  outDir: string;
}

export interface CaptureResult {
  docs: DocsResult;
  landing: LandingValues;
  /** status 404 when the served model has no report beside it: no screenshot then. */
  report: ReportResult;
  files: string[];
  /** Console errors, page errors and failed requests, per page. */
  problems: { docs: string[]; landing: string[]; report: string[] };
}

/** Polls the exporter's /metrics until `done(text)` holds; bounded (the events travel asynchronously). */
export async function waitForExporter(exporterUrl: string, done: (metrics: string) => boolean, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(new URL('/metrics', exporterUrl));
    if (done(await res.text())) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const predictionsSeen = (metrics: string): boolean => /^spam_detector_predictions_total\{result="spam"\} [1-9]/m.test(metrics);

export async function captureScreenshots(opts: CaptureOptions): Promise<CaptureResult> {
  mkdirSync(opts.outDir, { recursive: true });
  const context = await opts.browser.newContext({ viewport: { width: 1280, height: 860 } });
  try {
    const page = await context.newPage();
    const files: string[] = [];
    const shoot = async (name: string, clip?: DocsResult['region']): Promise<void> => {
      const path = join(opts.outDir, name);
      await page.screenshot({ path, fullPage: true, ...(clip ? { clip } : {}) });
      files.push(path);
    };

    // Each page is watched from its navigation to its screenshot.
    const watch = async <T>(step: () => Promise<T>): Promise<[T, string[]]> => {
      const w = watchProblems(page);
      try {
        return [await step(), w.problems];
      } finally {
        w.stop();
      }
    };

    const [docs, docsProblems] = await watch(async () => {
      const r = await predictInDocs(page, opts.inferenceUrl, SAMPLE_SPAM);
      await shoot(SCREENSHOT_FILES.docs, r.region);
      return r;
    });

    // The landing page should show the prediction just made: wait until the exporter has it.
    await waitForExporter(opts.exporterUrl, predictionsSeen);
    await page.setViewportSize({ width: 1100, height: 760 });
    const [landing, landingProblems] = await watch(async () => {
      const r = await openLanding(page, opts.exporterUrl);
      await shoot(SCREENSHOT_FILES.landing);
      return r;
    });

    await page.setViewportSize({ width: 1280, height: 860 });
    const [report, reportProblems] = await watch(async () => {
      const r = await openReport(page, opts.inferenceUrl);
      if (r.status === 200) await shoot(SCREENSHOT_FILES.report);
      return r;
    });

    return { docs, landing, report, files, problems: { docs: docsProblems, landing: landingProblems, report: reportProblems } };
  } finally {
    await context.close();
  }
}

// --- the command-line tool: its own short-lived stack ---

interface Service {
  url: string;
  stop(): Promise<void>;
}

async function startService(script: string, env: NodeJS.ProcessEnv): Promise<Service> {
  const s = await startChild({ script: join('dist', script), execArgv: nodeFlagsFor(script), env: serviceEnvFor(script, env), stderr: 'inherit', killOnExit: false, timeoutMs: 60_000 });
  return { url: s.url, stop: async () => void (await s.stop('SIGTERM', 10_000)) };
}

/** Enough traffic that the landing page's counters and worker books are not all zero. */
async function sendTraffic(inferenceUrl: string): Promise<void> {
  const texts = [
    SAMPLE_SPAM,
    'Hi team, the meeting moved to 3pm tomorrow. Agenda attached.',
    'URGENT: your account is suspended, verify your password at this link',
    'Thanks for the review, I pushed the fixes to the branch.',
  ];
  for (let i = 0; i < 24; i++) {
    await fetch(new URL('/predict', inferenceUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: texts[i % texts.length] }),
    });
  }
}

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const outDir = resolve(outIndex > 0 && process.argv[outIndex + 1] ? process.argv[outIndex + 1]! : join(REPO_ROOT, 'docs', 'images'));
  const scratch = mkdtempSync(join(tmpdir(), 'spam-detector-screenshots-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    INFERENCE_PORT: '0',
    EXPORTER_PORT: '0',
    EVENTS_SOCKET: join(scratch, 'events.sock'),
    // info: the ready line (with the real port) is an info record.
    LOG_LEVEL: 'info',
  };
  const services: Service[] = [];
  let browser: Browser | undefined;
  try {
    const exporter = await startService('services/exporter/src/main.js', env);
    services.push(exporter);
    const inference = await startService('services/inference/src/main.js', env);
    services.push(inference);
    await sendTraffic(inference.url);
    browser = await launchChromium();
    const result = await captureScreenshots({ browser, inferenceUrl: inference.url, exporterUrl: exporter.url, outDir });
    for (const f of result.files) process.stdout.write(`wrote ${f}\n`);
    if (result.report.status !== 200) process.stdout.write(`no model report (GET /model/report answered ${result.report.status}): not photographed\n`);
    for (const [name, list] of Object.entries(result.problems)) for (const p of list) process.stderr.write(`${name}: ${p}\n`);
  } finally {
    await browser?.close();
    for (const s of services.reverse()) await s.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`screenshots: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
