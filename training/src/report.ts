/**
 * The HTML evaluation report written next to the model: the card's figures and Vega-Lite
 * charts (ROC, precision-recall, confusion matrices, score distributions) rendered to SVG in
 * Node by vega's headless View, so the file is self-contained and needs no browser script.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { DOMAINS, SHORT_TEXT_CHARS, type ClassificationMetrics, type Domain, type ModelCard } from '../../shared/model-card.js';
import type { Label } from '../../shared/model-io.js';
import { curves } from './metrics.js';
import type { TrainResult } from './train.js';


export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

type Series = { form: string; labels: Label[]; scores: ArrayLike<number> };

function curveRows(series: Series[]) {
  return series.flatMap(({ form, labels, scores }) =>
    curves(labels, scores).map((p, order) => ({
      form,
      order,
      fpr: p.falsePositiveRate,
      tpr: p.truePositiveRate,
      precision: p.precision,
      threshold: Number.isFinite(p.threshold) ? p.threshold : 1,
    })),
  );
}

const SIZE = { width: 360, height: 300 };
const FORM_COLOR = {
  field: 'form',
  type: 'nominal',
  title: 'domain',
  legend: { labelLimit: 320, orient: 'bottom', direction: 'vertical' },
} as const;

function rocSpec(rows: ReturnType<typeof curveRows>): TopLevelSpec {
  return {
    ...SIZE,
    title: 'ROC curve (test split)',
    data: { values: rows },
    layer: [
      {
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate (spam recall)', scale: { domain: [0, 1] } },
          color: FORM_COLOR,
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: [{ a: 0, b: 0 }, { a: 1, b: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } },
      },
    ],
  };
}

function rocZoomSpec(rows: ReturnType<typeof curveRows>): TopLevelSpec {
  return {
    ...SIZE,
    title: 'ROC curve, top-left corner',
    data: { values: rows.filter((r) => r.fpr <= 0.1) },
    mark: { type: 'line', interpolate: 'step-after', clip: true },
    encoding: {
      x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 0.1] } },
      y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0.8, 1] } },
      color: FORM_COLOR,
      order: { field: 'order', type: 'quantitative' },
    },
  };
}

function prSpec(rows: ReturnType<typeof curveRows>): TopLevelSpec {
  return {
    ...SIZE,
    title: 'Precision-recall curve (test split)',
    data: { values: rows.filter((r) => r.order > 0) },
    mark: { type: 'line', interpolate: 'step-after', clip: true },
    encoding: {
      x: { field: 'tpr', type: 'quantitative', title: 'recall (spam)', scale: { domain: [0, 1] } },
      y: { field: 'precision', type: 'quantitative', title: 'precision (spam)', scale: { domain: [0.5, 1] } },
      color: FORM_COLOR,
      order: { field: 'order', type: 'quantitative' },
    },
  };
}

function confusionSpec(entries: { form: string; m: ClassificationMetrics }[]): TopLevelSpec {
  const values = entries.flatMap(({ form, m }) => {
    const c = m.confusionMatrix;
    return [
      { form, actual: 'spam', predicted: 'spam', count: c.truePositive },
      { form, actual: 'spam', predicted: 'ham', count: c.falseNegative },
      { form, actual: 'ham', predicted: 'spam', count: c.falsePositive },
      { form, actual: 'ham', predicted: 'ham', count: c.trueNegative },
    ];
  });
  return {
    title: `Confusion matrices at threshold ${entries[0]?.m.threshold}`,
    data: { values },
    facet: { column: { field: 'form', type: 'nominal', title: null, sort: entries.map((e) => e.form) } },
    spec: {
      width: 160,
      height: 160,
      encoding: {
        x: { field: 'predicted', type: 'nominal', title: 'predicted', sort: ['spam', 'ham'], axis: { labelAngle: 0 } },
        y: { field: 'actual', type: 'nominal', title: 'actual', sort: ['spam', 'ham'] },
      },
      layer: [
        {
          mark: 'rect',
          encoding: { color: { field: 'count', type: 'quantitative', scale: { type: 'symlog', scheme: 'blues' }, legend: null } },
        },
        {
          mark: { type: 'text', fontSize: 16 },
          encoding: {
            text: { field: 'count', type: 'quantitative' },
            color: { condition: { test: 'datum.count > 100', value: 'white' }, value: 'black' },
          },
        },
      ],
    },
  };
}

function distributionSpec(series: Series[]): TopLevelSpec {
  const values = series.flatMap(({ form, labels, scores }) => labels.map((label, i) => ({ form, label, p: scores[i]! })));
  return {
    title: 'Spam probability by true class (test split; log count)',
    data: { values },
    facet: { column: { field: 'form', type: 'nominal', title: null, sort: series.map((s) => s.form) } },
    spec: {
      width: 260,
      height: 200,
      mark: { type: 'bar', opacity: 0.6, binSpacing: 0 },
      encoding: {
        x: { field: 'p', type: 'quantitative', bin: { extent: [0, 1], step: 0.05 }, title: 'spam probability' },
        y: {
          aggregate: 'count',
          type: 'quantitative',
          title: 'messages',
          stack: null,
          scale: { type: 'symlog' },
          axis: { values: [0, 1, 3, 10, 30, 100, 300, 1000] },
        },
        color: { field: 'label', type: 'nominal', title: 'true class', scale: { domain: ['ham', 'spam'], range: ['#4c78a8', '#e45756'] } },
      },
    },
  };
}

const DOMAIN_NAMES: Record<Domain, string> = {
  rawEmail: 'raw emails (with headers)',
  headerlessEmail: 'header-less emails',
  sms: 'SMS',
  short: `short texts (<= ${SHORT_TEXT_CHARS} chars)`,
  userText: 'your texts',
};

function metricsTable(card: ModelCard): string {
  const rows = DOMAINS.flatMap((d) => (card.metrics.domains[d] ? [[DOMAIN_NAMES[d], card.metrics.domains[d]] as const] : []));
  const f = (v: number) => v.toFixed(4);
  return `<table><thead><tr><th>test texts</th><th>n</th><th>accuracy</th><th>precision</th><th>recall</th><th>F1</th><th>ROC AUC</th><th>blocked ham</th><th>ECE</th><th>TP</th><th>FP</th><th>TN</th><th>FN</th></tr></thead><tbody>${rows
    .map(([name, m]) => {
      const c = m.confusionMatrix;
      return `<tr><td>${escapeHtml(name)}</td><td>${m.count}</td><td>${f(m.accuracy)}</td><td>${f(m.precision)}</td><td>${f(m.recall)}</td><td>${f(m.f1)}</td><td>${f(m.rocAuc)}</td><td>${(m.blockedHamRate * 100).toFixed(2)}%</td><td>${f(m.ece)}</td><td>${c.truePositive}</td><td>${c.falsePositive}</td><td>${c.trueNegative}</td><td>${c.falseNegative}</td></tr>`;
    })
    .join('')}</tbody></table>`;
}

function reliabilitySpec(card: ModelCard): TopLevelSpec {
  const values = DOMAINS.flatMap((d) =>
    (card.metrics.domains[d]?.reliability ?? []).filter((b) => b.count > 0).map((b) => ({ form: DOMAIN_NAMES[d], predicted: b.meanPredicted, observed: b.fractionSpam, count: b.count })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Reliability: observed share of spam per predicted-probability bin',
    width: 360,
    height: 300,
    layer: [
      { data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, mark: { type: 'line', color: '#999', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'predicted', type: 'quantitative', title: 'mean predicted spam probability', scale: { domain: [0, 1] } },
          y: { field: 'observed', type: 'quantitative', title: 'observed share of spam', scale: { domain: [0, 1] } },
          color: { field: 'form', type: 'nominal', title: 'domain' },
        },
      },
    ],
  } as TopLevelSpec;
}

export async function renderReport(result: TrainResult): Promise<string> {
  const { card } = result;
  const series: Series[] = result.evaluation.map((e) => ({ form: DOMAIN_NAMES[e.domain], labels: e.labels, scores: e.scores }));
  const rows = curveRows(series);
  const charts = await Promise.all([
    renderSvg(rocSpec(rows)),
    renderSvg(rocZoomSpec(rows)),
    renderSvg(prSpec(rows)),
    renderSvg(confusionSpec(DOMAINS.flatMap((d) => (card.metrics.domains[d] ? [{ form: DOMAIN_NAMES[d], m: card.metrics.domains[d] }] : [])))),
    renderSvg(distributionSpec(series)),
    renderSvg(reliabilitySpec(card)),
  ]);
  const [roc, rocZoom, pr, confusion, distribution, reliabilityChart] = charts;
  const hp = card.hyperParameters;
  const pre = card.preprocessing;
  const f = pre.features;
  const tp = card.thresholdPolicy;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spam classifier ${escapeHtml(card.version)}: evaluation report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; } .charts { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
figure { margin: 0; } code { background: #f3f3f3; padding: 0 0.2em; }
</style></head><body>
<h1>Spam classifier <code>${escapeHtml(card.version)}</code></h1>
<p>Trained ${escapeHtml(card.trainedAt)} on <b>${escapeHtml(card.corpus.name)}</b> (${card.corpus.messages} messages after removing ${card.corpus.duplicatesRemoved} exact duplicates: ${card.corpus.spam} spam, ${card.corpus.ham} ham).
Seeded split stratified by corpus and class (seed ${card.split.seed}): ${card.split.trainMessages} training, ${card.split.validationMessages} validation and ${card.split.testMessages} test messages${card.split.refittedOnAll ? '; after evaluation the classifier was refitted on all messages' : ''}.
Training took ${card.training.seconds} s (${card.training.optimizerIterations} L-BFGS iterations, converged: ${card.training.converged}).</p>
<p>Model: TF-IDF of word unigrams and bigrams (${card.vocabulary.words} terms)${f.charWindow > 0 ? ` and character ${f.charNgramRange[0]}-${f.charNgramRange[1]}-grams of the first ${f.charWindow} characters (${card.vocabulary.chars} n-grams)` : ''}, min df ${hp.minDf}, sublinear tf, smooth idf, rows divided by sqrt(norm&sup2; + ${hp.evidenceLambda}); L2 logistic regression (C = ${hp.c}), chosen on the validation split; Platt calibration on the validation split (ECE ${card.calibration.validationEceBefore.toFixed(4)} before, ${card.calibration.validationEceAfter.toFixed(4)} after).
Texts are capped at ${pre.maxTextChars} characters (headers: <code>${escapeHtml(pre.headers)}</code>).
Threshold ${card.threshold.toFixed(4)}: the lowest (never below ${tp.floor}) that blocks at most ${(tp.falsePositiveBudget * 100).toFixed(2)}% of the ham in every validation domain.</p>
<h2>Metrics on the held-out test split, per domain</h2>
${metricsTable(card)}
<p>"header-less emails": the test emails with the RFC 822 header block removed, as users send them; short texts: every test text (header-less) of at most ${SHORT_TEXT_CHARS} characters.</p>
<h2>Calibration</h2>
<div class="charts"><figure>${reliabilityChart}</figure></div>
<h2>Curves</h2>
<div class="charts"><figure>${roc}</figure><figure>${rocZoom}</figure><figure>${pr}</figure></div>
<h2>Confusion matrices</h2>
<div class="charts"><figure>${confusion}</figure></div>
<h2>Score distributions</h2>
<div class="charts"><figure>${distribution}</figure></div>
</body></html>
`;
}
