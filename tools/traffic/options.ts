/**
 * Command-line options (commander). Parsing only: values are validated here so a typo fails
 * before any traffic is sent, and combined with the mode's preset in modes.ts.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { isMalformedKind, MALFORMED_KINDS, type MalformedKind } from './mix.js';
import { isMode, MODES, type Mode, type Settings } from './modes.js';

export const DEFAULT_URL = 'http://127.0.0.1:5000';

/** The target when --url is not given: TRAFFIC_URL from the environment, else the contract's default port. */
export function defaultUrl(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.TRAFFIC_URL?.trim();
  return fromEnv ? parseUrl(fromEnv) : DEFAULT_URL;
}

export interface CliOptions {
  mode: Mode;
  /** Whether --mode was given (otherwise options without a mode mean "custom"). */
  modeGiven: boolean;
  url: string;
  given: Partial<Settings>;
  seed: number | undefined;
  messagesFile: string | undefined;
  json: boolean;
  progress: boolean;
  /** --menu: show the menu even though options were given (e.g. with --url). */
  menu: boolean;
}

function positiveInt(name: string, max = 1_000_000_000) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be a whole number.`);
    const n = Number(value);
    if (n < 1 || n > max) throw new InvalidArgumentError(`${name} must be between 1 and ${max}.`);
    return n;
  };
}

function nonNegativeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number >= 0.`);
    return n;
  };
}

export function parseRatio(value: string): number {
  const percent = value.trim().endsWith('%');
  const n = Number(percent ? value.trim().slice(0, -1) : value);
  const ratio = percent ? n / 100 : n;
  if (value.trim() === '' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new InvalidArgumentError('must be between 0 and 1 (or 0% to 100%).');
  }
  return ratio;
}

/** "90", "90s", "1.5m", "2m30s", "1h" -> seconds. */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    if (n > 0) return n;
  }
  const re = /(\d+(?:\.\d+)?)(h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * { h: 3600, m: 60, s: 1 }[m[2] as 'h' | 'm' | 's'];
    matched += m[0].length;
  }
  if (text === '' || matched !== text.length || total <= 0) {
    throw new InvalidArgumentError('must be a duration such as 90, 90s, 3m or 1m30s.');
  }
  return total;
}

function parseErrorKinds(value: string): MalformedKind[] {
  const kinds = value.split(',').map((k) => k.trim()).filter((k) => k !== '');
  const bad = kinds.filter((k) => !isMalformedKind(k));
  if (kinds.length === 0 || bad.length > 0) {
    throw new InvalidArgumentError(`unknown kind ${bad.join(', ') || '(none)'}; choose from ${MALFORMED_KINDS.join(', ')}.`);
  }
  return [...new Set(kinds)] as MalformedKind[];
}

function parseSpamRatio(value: string): number | 'natural' {
  return value.trim() === 'natural' ? 'natural' : parseRatio(value);
}

function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an absolute URL such as http://127.0.0.1:5000.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http:// or https:// URL.');
  return url.toString().replace(/\/+$/, '');
}

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  return new Command('traffic')
    .description(
      'Drive the spam-detector inference service with held-out corpus messages and report what came back.\n' +
        'With no options on a terminal it shows a menu; with options (or without a terminal) it never prompts.',
    )
    .addOption(new Option('-m, --mode <mode>', 'what to run').choices(MODES))
    .addOption(new Option('-u, --url <url>', 'base URL of the inference service').argParser(parseUrl).default(defaultUrl(env), '$TRAFFIC_URL, else http://127.0.0.1:5000'))
    .option('-n, --count <n>', 'requests to send (feedback not counted)', positiveInt('count'))
    .option('-d, --duration <time>', 'run for this long instead (90, 90s, 3m, 1m30s)', parseDuration)
    .option('-r, --rate <rps>', 'requests started per second, all connections together (0 = unlimited)', nonNegativeNumber('rate'))
    .option('--delay <ms>', 'pause of each connection after each answer, in ms', nonNegativeNumber('delay'))
    .option('-c, --concurrency <n>', 'connections, each with one request in flight', positiveInt('concurrency', 10_000))
    .option('-e, --error-ratio <ratio>', 'share of malformed requests, 0..1 or a percentage', parseRatio)
    .option('--error-kinds <list>', `malformed kinds to mix, comma-separated (${MALFORMED_KINDS.join(', ')})`, parseErrorKinds)
    .option('--spam-ratio <ratio>', 'share of spam among the texts, or "natural" for the held-out split\'s own mix', parseSpamRatio)
    .option('--target-p99 <ms>', 'adapt the active connections (up to --concurrency) to hold the p99 latency near this', positiveInt('target p99', 600_000))
    .option('-b, --batch-size <n>', 'texts per request; above 1 sends {"texts": [...]}', positiveInt('batch size', 100_000))
    .option('-f, --feedback-ratio <ratio>', 'share of predictions whose true label is sent to POST /feedback', parseRatio)
    .option('--min-length <chars>', 'use only messages at least this long', positiveInt('min length'))
    .option('--max-length <chars>', 'use only messages at most this long (default 100000, the service\'s MAX_TEXT_CHARS)', positiveInt('max length'))
    .option('--strip-headers', 'send the bodies of the emails without their RFC 822 headers')
    .option('--messages <file>', 'labelled messages to send instead of the held-out split: .jsonl ({"text","label"} per line) or .csv (text,label columns)')
    .option('-s, --seed <n>', 'seed of every random choice, to replay a run', positiveInt('seed', 0x7fffffff))
    .option('--timeout <ms>', 'per-request timeout in ms', positiveInt('timeout'), 30_000)
    .option('--json', 'print the summary as one JSON object (no table, no progress bar)', false)
    .option('--no-progress', 'never show the progress bar')
    .option('--menu', 'show the interactive menu (needs a terminal), e.g. with --url', false)
    .allowExcessArguments(false)
    .showHelpAfterError('(run with --help for every option)');
}

interface RawOptions {
  mode?: string;
  url: string;
  count?: number;
  duration?: number;
  rate?: number;
  delay?: number;
  concurrency?: number;
  errorRatio?: number;
  errorKinds?: MalformedKind[];
  spamRatio?: number | 'natural';
  batchSize?: number;
  targetP99?: number;
  feedbackRatio?: number;
  minLength?: number;
  maxLength?: number;
  stripHeaders?: boolean;
  messages?: string;
  seed?: number;
  timeout: number;
  json: boolean;
  progress: boolean;
  menu: boolean;
}

/** Parses argv (without node and the script). Throws CommanderError on bad input (exitOverride). */
export function parseCli(argv: readonly string[], program: Command = buildProgram()): CliOptions {
  program.exitOverride();
  program.parse([...argv], { from: 'user' });
  const o = program.opts<RawOptions>();
  const mode = o.mode !== undefined && isMode(o.mode) ? o.mode : 'custom';
  const given: Partial<Settings> = {
    count: o.count,
    durationS: o.duration,
    // 0 is kept (not turned into undefined) so it overrides a preset's rate; it means no limit.
    rate: o.rate,
    delayMs: o.delay,
    concurrency: o.concurrency,
    errorRatio: o.errorRatio,
    errorKinds: o.errorKinds,
    spamRatio: o.spamRatio === 'natural' ? undefined : o.spamRatio,
    batchSize: o.batchSize,
    targetP99Ms: o.targetP99,
    feedbackRatio: o.feedbackRatio,
    minLength: o.minLength,
    maxLength: o.maxLength,
    headers: o.stripHeaders === true ? 'strip' : undefined,
    timeoutMs: o.timeout,
  };
  return {
    mode,
    modeGiven: o.mode !== undefined,
    url: o.url,
    given,
    seed: o.seed,
    messagesFile: o.messages,
    json: o.json,
    progress: o.progress,
    menu: o.menu,
  };
}
