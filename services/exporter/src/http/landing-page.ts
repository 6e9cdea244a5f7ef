/**
 * The exporter's landing page (GET /), as Prometheus exporters have one: where the metrics are,
 * which version runs, whether workers are feeding it, and the scrape config to copy. Static
 * HTML without scripts; every value goes through the escaping `html` tag.
 */
import { html, SafeHtml } from './html.js';
import type { LandingState, WorkerState } from './landing-state.js';

/** The job name deploy/prometheus/prometheus.yml uses, so copied configs match the rules and dashboards. */
export const SCRAPE_JOB = 'spam-detector-exporter';

export function scrapeConfig(target: string): string {
  return [
    'scrape_configs:',
    `  - job_name: ${SCRAPE_JOB}`,
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['${target}']`,
  ].join('\n');
}

function count(n: number | undefined): string {
  return n === undefined ? '-' : Math.round(n).toLocaleString('en-US');
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d} d` : '', h ? `${h} h` : '', `${m} min`, `${s % 60} s`].filter(Boolean).join(' ');
}

function breakdown(record: Record<string, number>): SafeHtml {
  const parts = Object.entries(record)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => html`<span class="tag">${k}: ${count(v)}</span>`);
  return html`${parts}`;
}

function workerRow(w: WorkerState): SafeHtml {
  return html`<tr data-worker="${w.worker}">
        <td>${w.worker}</td>
        <td class="${w.up ? 'ok' : 'bad'}">${w.up ? 'connected' : 'gone'}</td>
        <td class="${w.ready ? 'ok' : 'bad'}">${w.ready ? 'yes' : 'no'}</td>
        <td class="num">${count(w.published)}</td>
        <td class="num">${count(w.delivered)}</td>
        <td class="num">${count(w.dropped)}</td>
        <td class="num">${count(w.queued)}</td>
      </tr>`;
}

/** A constant (no input in it), inserted unescaped: entities are not decoded inside <style>. */
const STYLE = `
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2328; background: #fff; }
  header { background: #e6522c; color: #fff; padding: 14px 28px; }
  header h1 { margin: 0; font-size: 22px; font-weight: 600; }
  header .version { opacity: .85; font-size: 14px; margin-left: 8px; }
  main { padding: 8px 28px 28px; max-width: 980px; }
  h2 { font-size: 17px; margin: 22px 0 8px; }
  a { color: #0b5cad; }
  ul.links { padding-left: 20px; margin: 10px 0; }
  table { border-collapse: collapse; font-size: 14px; }
  th, td { text-align: left; padding: 5px 14px 5px 0; border-bottom: 1px solid #e4e6e8; vertical-align: top; }
  th { font-weight: 600; color: #57606a; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .state td:nth-child(2) { font-weight: 600; font-variant-numeric: tabular-nums; }
  .tag { display: inline-block; background: #f1f3f5; border-radius: 4px; padding: 1px 6px; margin: 0 4px 2px 0; font-size: 12px; font-weight: 400; }
  .ok { color: #1a7f37; } .bad { color: #cf222e; } .muted { color: #57606a; }
  pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px 14px; font-size: 13px; user-select: all; }
`;

export function renderLanding(state: LandingState, scrapeTarget: string): string {
  const last =
    state.lastEventAgeSeconds === undefined ? html`<span class="muted">never</span>` : html`${duration(state.lastEventAgeSeconds)} ago`;
  const workers = state.workers.length
    ? html`<table class="workers" data-testid="workers">
      <thead><tr><th>worker</th><th>channel</th><th>ready</th><th>published</th><th>delivered</th><th>dropped</th><th>queued</th></tr></thead>
      <tbody>${state.workers.map(workerRow)}</tbody>
    </table>`
    : html`<p class="muted">No worker has connected yet.</p>`;

  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>spam-detector exporter</title>
  <style>${new SafeHtml(STYLE)}</style>
</head>
<body>
  <header><h1>spam-detector exporter<span class="version" data-testid="version">v${state.version}</span></h1></header>
  <main>
    <ul class="links">
      <li><a href="metrics">Metrics</a> <span class="muted">(Prometheus text format)</span></li>
      <li><a href="health">Health</a> <span class="muted">(JSON)</span></li>
    </ul>

    <h2>State</h2>
    <table class="state">
      <tr><th>Publishers connected</th><td data-testid="publishers-connected">${count(state.publishersConnected)}</td><td></td></tr>
      <tr><th>Events received</th><td data-testid="events-received">${count(state.receivedTotal)}</td><td data-testid="events-received-detail">${breakdown(state.received)}</td></tr>
      <tr><th>Malformed frames (rejected)</th><td data-testid="events-malformed">${count(state.malformedTotal)}</td><td data-testid="events-malformed-detail">${breakdown(state.malformed)}</td></tr>
      <tr><th>Events dropped by workers</th><td data-testid="events-dropped">${count(state.droppedByWorkers)}</td><td class="muted">as the workers last reported</td></tr>
      <tr><th>Last event</th><td data-testid="last-event">${last}</td><td></td></tr>
      <tr><th>Model versions served</th><td data-testid="model-versions">${state.modelVersions.length ? state.modelVersions.join(', ') : '-'}</td><td></td></tr>
      <tr><th>Uptime</th><td data-testid="uptime">${duration(state.uptimeSeconds)}</td><td></td></tr>
    </table>

    <h2>Workers</h2>
    ${workers}

    <h2>Prometheus scrape config</h2>
    <pre data-testid="scrape-config">${scrapeConfig(scrapeTarget)}</pre>
  </main>
</body>
</html>
`.value;
}
