/**
 * What a person does on each of the three pages, as playwright steps shared by the browser test
 * (which asserts on the results) and scripts/screenshots.ts (which photographs the pages after).
 */
import type { Page } from 'playwright-core';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DocsResult {
  /** HTTP status Swagger UI shows for the executed request. */
  status: number;
  /** The response body Swagger UI shows, parsed. */
  body: unknown;
  /** The region from the operation's header to the response body, for a screenshot. */
  region: Rect;
}

const STEP_TIMEOUT_MS = 30_000;

/** Opens /docs, then POST /predict -> Try it out -> edit the body -> Execute, and reads the answer. */
export async function predictInDocs(page: Page, inferenceUrl: string, text: string): Promise<DocsResult> {
  await page.goto(new URL('/docs', inferenceUrl).href, { waitUntil: 'load' });
  const op = page.locator('.opblock-post').filter({ has: page.locator('.opblock-summary-path[data-path="/predict"]') });
  await op.locator('.opblock-summary').click({ timeout: STEP_TIMEOUT_MS });
  await op.getByRole('button', { name: 'Try it out' }).click({ timeout: STEP_TIMEOUT_MS });
  await op.locator('textarea.body-param__text').fill(JSON.stringify({ text }), { timeout: STEP_TIMEOUT_MS });
  await op.getByRole('button', { name: 'Execute' }).click({ timeout: STEP_TIMEOUT_MS });

  const live = op.locator('.live-responses-table .response').first();
  await live.waitFor({ timeout: STEP_TIMEOUT_MS });
  const status = Number((await live.locator('.response-col_status').innerText()).trim());
  const bodyBlock = live.locator('.response-col_description pre').first();
  const bodyText = await bodyBlock.innerText();
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = bodyText;
  }

  // Page coordinates (a full-page screenshot's clip), not the viewport's: the page has scrolled.
  // (Runs in the page; this project compiles without the DOM lib, hence globalThis.)
  const pageBox = (el: { getBoundingClientRect(): { top: number; bottom: number } }): { top: number; bottom: number } => {
    const r = el.getBoundingClientRect();
    // eslint-disable-next-line no-restricted-syntax -- runs in the page, where globalThis is the window (no DOM lib here)
    const scrollY = (globalThis as unknown as { scrollY: number }).scrollY;
    return { top: r.top + scrollY, bottom: r.bottom + scrollY };
  };
  const top = await op.evaluate(pageBox);
  const bottom = await bodyBlock.evaluate(pageBox);
  const width = page.viewportSize()?.width ?? 1280;
  const region = { x: 0, y: Math.max(0, top.top - 8), width, height: bottom.bottom - top.top + 16 };
  return { status, body, region };
}

/** The landing page's state values, keyed by their data-testid. */
export type LandingValues = Record<string, string>;

export async function openLanding(page: Page, exporterUrl: string): Promise<LandingValues> {
  const res = await page.goto(new URL('/', exporterUrl).href, { waitUntil: 'load' });
  if (!res || res.status() !== 200) throw new Error(`exporter landing page answered ${res?.status() ?? 'nothing'}`);
  const values: LandingValues = {};
  for (const el of await page.locator('[data-testid]').all()) {
    const id = await el.getAttribute('data-testid');
    if (id) values[id] = (await el.innerText()).trim();
  }
  return values;
}

export interface ChartInfo {
  width: number;
  height: number;
  /** Drawn shapes (paths, rects, lines, text) inside the chart. */
  shapes: number;
}

export interface ReportResult {
  status: number;
  title: string;
  charts: ChartInfo[];
}

/** Opens /model/report and measures every top-level SVG chart as the browser laid it out. */
export async function openReport(page: Page, inferenceUrl: string): Promise<ReportResult> {
  const res = await page.goto(new URL('/model/report', inferenceUrl).href, { waitUntil: 'load' });
  const status = res?.status() ?? 0;
  if (status !== 200) return { status, title: '', charts: [] };
  // The callback runs in the browser; this project compiles without the DOM lib, so its element type is unknown here.
  /* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access */
  const charts = await page.locator('svg:not(svg svg)').evaluateAll((svgs) =>
    svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      return { width: box.width, height: box.height, shapes: svg.querySelectorAll('path, rect, line, text, circle').length };
    }),
  );
  /* eslint-enable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access */
  return { status, title: await page.title(), charts };
}
