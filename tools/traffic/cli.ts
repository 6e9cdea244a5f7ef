/**
 * `npm run traffic -- [options]`: the traffic generator. With no options on a terminal it
 * shows the seed's menu; with options, or without a terminal, it never prompts.
 * Exit codes: 0 after a run (whatever the service answered), 1 when the target could not be
 * reached at all, 2 for bad options or no messages to send, 3 for an unexpected error.
 */
import { CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadFile, loadHeldOut } from './heldout.js';
import { askMenu } from './menu.js';
import { describeMemoryPlan, planMemoryDemo, readHostMemory } from './memory-plan.js';
import { buildPool, MessageSourceError } from './messages.js';
import { createMix, MixError } from './mix.js';
import { DEFAULT_MAX_TEXT_CHARS, MODE_INFO, resolveSettings, type Mode, type Settings } from './modes.js';
import { defaultUrl, parseCli } from './options.js';
import { createProgress } from './progress.js';
import { createRng, randomSeed } from './rng.js';
import { probe, run } from './runner.js';
import { buildReport, formatReport } from './summary.js';

export const EXIT_OK = 0;
export const EXIT_UNREACHABLE = 1;
export const EXIT_USAGE = 2;
export const EXIT_CRASH = 3;

export interface Job {
  mode: Mode;
  url: string;
  given: Partial<Settings>;
  seed?: number | undefined;
  messagesFile?: string | undefined;
  json: boolean;
  progress: boolean;
}

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

const PROBE_TIMEOUT_MS = 5000;

/** One run from start to summary; returns the exit code. */
export async function execute(job: Job, io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const say = (line: string): void => {
    if (!job.json) io.stderr.write(`${line}\n`);
  };

  if (!MODE_INFO[job.mode].sendsTraffic) {
    const plan = planMemoryDemo(await readHostMemory());
    io.stdout.write(job.json ? `${JSON.stringify({ mode: job.mode, sent: 0, memory: plan })}\n` : `${describeMemoryPlan(plan)}\n`);
    return EXIT_OK;
  }

  const resolved = resolveSettings(job.mode, job.given);

  const reach = await probe(job.url, Math.min(resolved.timeoutMs, PROBE_TIMEOUT_MS));
  if (!reach.reachable) {
    io.stderr.write(`error: cannot reach ${job.url} (${reach.error}); is the inference service running?\n`);
    if (job.json) io.stdout.write(`${JSON.stringify({ target: job.url, mode: job.mode, reachable: false, error: reach.error })}\n`);
    return EXIT_UNREACHABLE;
  }

  const seed = job.seed ?? randomSeed();
  let next;
  let messages;
  let cardAccuracy;
  let settings: Settings;
  try {
    const held = job.messagesFile
      ? await loadFile(job.messagesFile, resolved.headers, job.url, resolved.timeoutMs)
      : await loadHeldOut(job.url, resolved.timeoutMs, resolved.headers);
    settings = { ...resolved, maxLength: resolved.maxLength ?? held.limits.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS };
    if (settings.minLength !== undefined && settings.maxLength !== undefined && settings.minLength > settings.maxLength) {
      throw new MixError(`--min-length ${settings.minLength} is above the maximum length ${settings.maxLength}`);
    }
    if (held.limits.maxBatchSize !== undefined && settings.batchSize > held.limits.maxBatchSize) {
      say(`warning: the target accepts at most ${held.limits.maxBatchSize} texts per request; larger batches get BATCH_TOO_LARGE`);
    }
    const pool = buildPool(held.samples, held.origin, { minLength: settings.minLength, maxLength: settings.maxLength });
    messages = pool.origin;
    cardAccuracy = held.cardAccuracy;
    next = createMix(pool, settings, createRng(seed));
  } catch (err) {
    if (err instanceof MessageSourceError || err instanceof MixError) {
      io.stderr.write(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }

  if (job.mode.startsWith('alert-')) say(MODE_INFO[job.mode].about);
  say(`${job.mode} -> ${job.url}: ${describePlan(settings)}`);
  const progress = createProgress({ enabled: job.progress && !job.json, stream: io.stderr, count: settings.count, durationS: settings.durationS });
  const stop = new AbortController();
  const onSigint = (): void => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    progress.stop();
    say('\nstopping: waiting for the requests in flight (Ctrl+C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  let result;
  try {
    result = await run(
      {
        url: job.url,
        count: settings.count,
        durationMs: settings.durationS === undefined ? undefined : settings.durationS * 1000,
        rate: settings.rate,
        delayMs: settings.delayMs,
        concurrency: settings.concurrency,
        timeoutMs: settings.timeoutMs,
        targetP99Ms: settings.targetP99Ms,
      },
      next,
      { signal: stop.signal, onRequestDone: (stats) => progress.update(stats) },
    );
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }

  const report = buildReport({
    target: job.url,
    mode: job.mode,
    seed,
    messages,
    cardAccuracy,
    settings,
    elapsedMs: result.elapsedMs,
    interrupted: result.interrupted,
    stats: result.stats.snapshot(),
    adaptive: result.adaptive,
  });
  io.stdout.write(job.json ? `${JSON.stringify(report)}\n` : `\n${formatReport(report)}\n`);
  return report.reachable ? EXIT_OK : EXIT_UNREACHABLE;
}

/** One line saying what the run will do, with every default filled in. */
export function describePlan(s: Settings): string {
  const parts = [
    s.durationS !== undefined ? `${s.durationS} s` : '',
    s.count !== undefined ? `${s.count} requests` : '',
    `${s.concurrency} connection${s.concurrency === 1 ? '' : 's'}`,
    s.targetP99Ms !== undefined ? `adapted to a p99 of ${s.targetP99Ms} ms` : '',
    s.rate !== undefined && s.rate > 0 ? `${s.rate} req/s` : 'no rate limit',
    s.delayMs !== undefined ? `${s.delayMs} ms pause` : '',
    `${s.batchSize} text${s.batchSize === 1 ? '' : 's'} per request`,
    `${Math.round(s.errorRatio * 1000) / 10}% malformed`,
    s.feedbackRatio > 0 ? `feedback for ${Math.round(s.feedbackRatio * 1000) / 10}%` : '',
  ];
  return parts.filter((p) => p !== '').join(', ');
}

async function menuLoop(url: string): Promise<number> {
  for (;;) {
    let choice;
    try {
      choice = await askMenu(url);
    } catch (err) {
      // Ctrl+C or a closed terminal inside a prompt.
      if (err instanceof Error && err.name === 'ExitPromptError') return EXIT_OK;
      throw err;
    }
    if (choice === null) return EXIT_OK;
    await execute({ mode: choice.mode, url, given: choice.given, json: false, progress: true });
    process.stdout.write('\n');
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (argv.length === 0 && tty) return menuLoop(defaultUrl());
  let cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    // commander has already printed the message (or the help, with exit code 0).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw err;
  }
  if (cli.menu) {
    if (!tty) {
      process.stderr.write('error: --menu needs a terminal; pass --mode and options instead\n');
      return EXIT_USAGE;
    }
    return menuLoop(cli.url);
  }
  // No options and no terminal (a script, CI): the seed's option 1.
  const mode: Mode = argv.length === 0 ? 'normal' : cli.mode;
  return execute({ ...cli, mode });
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`traffic: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = EXIT_CRASH;
    },
  );
}
