/**
 * The operator docs (architecture, operations, logging): every Mermaid diagram renders with the
 * real Mermaid library in headless Chromium (a broken diagram would show as an error box on
 * GitHub), the architecture diagram names the processes, ports, channel and monitoring pieces,
 * and every repository path the docs name exists, so a rename cannot leave them pointing nowhere.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../helpers/spawn.js';
import { CHROMIUM_FLAGS, chromiumPath } from '../../scripts/browser/chromium.js';

const DOCS = ['architecture.md', 'operations.md', 'logging.md'].map((d) => join(REPO_ROOT, 'docs', d));
const MERMAID_JS = join(REPO_ROOT, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js');

function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

interface RenderResult {
  i: number;
  ok: boolean;
  svg?: string;
  err?: string;
}

/** Renders diagrams with mermaid.min.js in headless Chromium; the page writes the results into its DOM. */
function renderInChromium(blocks: string[], work: string): RenderResult[] {
  const page = join(work, `render-${Date.now()}.html`);
  writeFileSync(
    page,
    `<!doctype html><html><body><pre id="out">pending</pre>
<script src="${pathToFileURL(MERMAID_JS).href}"></script>
<script>
const blocks = ${JSON.stringify(blocks)};
(async () => {
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
  const results = [];
  for (let i = 0; i < blocks.length; i++) {
    try {
      await mermaid.parse(blocks[i]);
      const { svg } = await mermaid.render('d' + i, blocks[i]);
      results.push({ i, ok: true, svg });
    } catch (e) {
      results.push({ i, ok: false, err: String((e && e.message) || e) });
    }
  }
  document.getElementById('out').textContent = 'RESULT:' + btoa(unescape(encodeURIComponent(JSON.stringify(results)))) + ':END';
})();
</script></body></html>`,
  );
  const r = spawnSync(
    chromiumPath(),
    [
      '--headless',
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${join(work, 'chromium-profile')}`,
      '--allow-file-access-from-files',
      '--virtual-time-budget=15000',
      '--dump-dom',
      pathToFileURL(page).href,
    ],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const m = /RESULT:([A-Za-z0-9+/=]+):END/.exec(r.stdout ?? '');
  if (!m) throw new Error(`no render result from chromium (status ${r.status}):\n${(r.stderr ?? '').slice(-2000)}`);
  return JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as RenderResult[];
}

const haveChromium = spawnSync('sh', ['-c', 'command -v chromium']).status === 0;

t.test('every Mermaid diagram in the operator docs renders', { timeout: 180_000 }, async (t) => {
  if (!haveChromium) {
    t.fail('chromium missing: install Debian\'s chromium package (.ci/run does)');
    return;
  }
  t.ok(existsSync(MERMAID_JS), 'mermaid (dev dependency) installed');
  const work = mkdtempSync(join(tmpdir(), 'ops-docs-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  const blocks = DOCS.flatMap((d) => mermaidBlocks(readFileSync(d, 'utf8')).map((b) => ({ doc: d, b })));
  t.ok(blocks.length >= 2, `${blocks.length} diagrams found`);
  // The last block is a deliberately broken one: the check must be able to fail.
  const broken = 'flowchart LR\n  a[unclosed --> b\n';
  const results = renderInChromium([...blocks.map((x) => x.b), broken], work);
  t.equal(results.length, blocks.length + 1, 'every diagram was attempted');
  blocks.forEach((x, i) => {
    const r = results[i]!;
    t.ok(r.ok, `${x.doc.slice(REPO_ROOT.length + 1)} diagram ${i}: renders${r.err ? ` (${r.err})` : ''}`);
  });
  t.notOk(results.at(-1)!.ok, 'a broken diagram is reported as an error');

  // The single-host diagram shows what an operator needs to find.
  const arch = results[0]!.svg ?? '';
  for (const needle of ['5000', '8000', 'EVENTS_SOCKET', 'Prometheus', 'Alertmanager', 'Grafana', 'exporter', 'worker']) {
    t.ok(arch.includes(needle), `architecture diagram mentions ${needle}`);
  }
});

t.test('every repository path the operator docs name exists', async (t) => {
  for (const doc of DOCS) {
    const text = readFileSync(doc, 'utf8');
    // Paths in backticks or links, rooted at a top-level folder of the repo; placeholders
    // (<...>), globs and ~/$VARS are examples, not files.
    const paths = new Set(
      [...text.matchAll(/(?:`|\()((?:deploy|scripts|test|services|docs|shared|models)\/[A-Za-z0-9_./@-]+)/g)]
        .map((m) => m[1]!.replace(/[.,:]+$/, '').replace(/#.*$/, ''))
        .filter((p) => !/[<>*$]/.test(p)),
    );
    for (const p of paths) {
      // A link relative to docs/ (runbooks.md) is checked from docs/, the rest from the root.
      t.ok(existsSync(join(REPO_ROOT, p)), `${doc.slice(REPO_ROOT.length + 1)}: ${p} exists`);
    }
    for (const m of text.matchAll(/\]\(([a-z-]+\.md)(#[^)]*)?\)/g)) {
      t.ok(existsSync(join(REPO_ROOT, 'docs', m[1]!)), `${doc.slice(REPO_ROOT.length + 1)}: link ${m[1]} exists in docs/`);
    }
  }
});
