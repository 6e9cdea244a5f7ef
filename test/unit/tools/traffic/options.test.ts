/**
 * Traffic generator options: parsing and validation (commander), and how a mode's preset
 * combines with the operator's options.
 */
import t from 'tap';
import { CommanderError } from 'commander';
import { buildProgram, parseCli, parseDuration, parseRatio, DEFAULT_URL } from '../../../../tools/traffic/options.js';
import { BASE_SETTINGS, MODE_INFO, MODES, resolveSettings } from '../../../../tools/traffic/modes.js';
import { PREDICTION_ERROR_KINDS } from '../../../../tools/traffic/mix.js';

/** parseCli with commander's own output silenced (it prints usage errors). */
function parse(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const program = buildProgram(env);
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  return parseCli(argv, program);
}

t.test('durations', async (t) => {
  t.equal(parseDuration('90'), 90);
  t.equal(parseDuration('90s'), 90);
  t.equal(parseDuration('3m'), 180);
  t.equal(parseDuration('1m30s'), 90);
  t.equal(parseDuration('1.5m'), 90);
  t.equal(parseDuration('1h'), 3600);
  for (const bad of ['', '0', 'abc', '5 m', '3x', 'm', '-5', '1m-5s']) t.throws(() => parseDuration(bad), bad);
});

t.test('ratios accept 0..1 and percentages', async (t) => {
  t.equal(parseRatio('0'), 0);
  t.equal(parseRatio('0.25'), 0.25);
  t.equal(parseRatio('1'), 1);
  t.equal(parseRatio('25%'), 0.25);
  for (const bad of ['', '-0.1', '1.5', '101%', 'half']) t.throws(() => parseRatio(bad), bad);
});

t.test('no options: custom mode with the base settings and the default target', async (t) => {
  const cli = parse([]);
  t.equal(cli.url, DEFAULT_URL);
  t.equal(cli.mode, 'custom');
  t.equal(cli.modeGiven, false);
  t.same(resolveSettings(cli.mode, cli.given), BASE_SETTINGS);
});

t.test('TRAFFIC_URL sets the default target; --url wins over it', async (t) => {
  t.equal(parse([], { TRAFFIC_URL: 'http://127.0.0.1:6001/' }).url, 'http://127.0.0.1:6001');
  t.equal(parse(['--url', 'http://127.0.0.1:6002'], { TRAFFIC_URL: 'http://127.0.0.1:6001' }).url, 'http://127.0.0.1:6002');
});

t.test('every option is read', async (t) => {
  const cli = parse([
    '--url', 'http://127.0.0.1:5001/', '-n', '250', '-r', '40', '--delay', '5', '-c', '8', '-e', '10%',
    '--error-kinds', 'bad_json,empty_text', '--spam-ratio', '0.3', '-b', '4', '-f', '0.5', '-s', '123',
    '--min-length', '10', '--max-length', '5000', '--strip-headers', '--timeout', '2000', '--json', '--no-progress',
    '--target-p99', '700',
  ]);
  t.equal(cli.url, 'http://127.0.0.1:5001', 'trailing slash dropped');
  t.equal(cli.seed, 123);
  t.equal(cli.json, true);
  t.equal(cli.progress, false);
  t.same(resolveSettings(cli.mode, cli.given), {
    count: 250, rate: 40, delayMs: 5, concurrency: 8, errorRatio: 0.1, errorKinds: ['bad_json', 'empty_text'],
    spamRatio: 0.3, batchSize: 4, feedbackRatio: 0.5, minLength: 10, maxLength: 5000, headers: 'strip', timeoutMs: 2000,
    targetP99Ms: 700,
  });
});

t.test('bad values fail before any traffic, with commander errors', async (t) => {
  const bad: string[][] = [
    ['--mode', 'nope'],
    ['-n', '0'],
    ['-n', '1.5'],
    ['-c', 'many'],
    ['-e', '2'],
    ['--error-kinds', 'bad_json,typo'],
    ['--spam-ratio', 'lots'],
    ['--url', 'not a url'],
    ['--url', 'ftp://127.0.0.1'],
    ['-d', 'forever'],
    ['--rate', '-1'],
    ['stray-argument'],
    ['--unknown-option'],
  ];
  for (const argv of bad) t.throws(() => parse(argv), CommanderError, argv.join(' '));
});

t.test('a preset applies under the operator options', async (t) => {
  t.match(resolveSettings('normal', {}), { count: 100, rate: 10, concurrency: 2, errorRatio: 0 });
  t.match(resolveSettings('extended', {}), { count: 500, errorRatio: 0.02, feedbackRatio: 0.2 });
  const stress = resolveSettings('stress', {});
  t.equal(stress.durationS, 60);
  t.equal(stress.count, undefined, 'a duration-bounded preset has no count');
  t.match(resolveSettings('normal', { concurrency: 5 }), { count: 100, concurrency: 5 }, 'an option overrides the preset');
});

t.test('a count or duration replaces both of the preset bounds', async (t) => {
  const byCount = resolveSettings('stress', { count: 1000 });
  t.equal(byCount.count, 1000);
  t.equal(byCount.durationS, undefined);
  const byTime = resolveSettings('normal', { durationS: 30 });
  t.equal(byTime.durationS, 30);
  t.equal(byTime.count, undefined);
});

t.test('--rate 0 lifts a preset rate; natural spam ratio keeps the split mix', async (t) => {
  const cli = parse(['--mode', 'normal', '--rate', '0', '--spam-ratio', 'natural']);
  t.equal(cli.modeGiven, true);
  const s = resolveSettings(cli.mode, cli.given);
  t.equal(s.rate, 0);
  t.equal(s.spamRatio, undefined);
});

t.test('alert demos', async (t) => {
  const errors = resolveSettings('alert-errors', {});
  t.ok(errors.errorRatio > 0.05, 'error demo stays above the 5% threshold');
  t.same(errors.errorKinds, PREDICTION_ERROR_KINDS, 'only kinds that count as failed prediction requests');
  t.ok((errors.durationS ?? 0) >= 120, 'long enough for a 1m "for" plus scrape and evaluation');
  const latency = resolveSettings('alert-latency', {});
  t.ok(latency.batchSize > 1 && latency.concurrency > 1 && (latency.durationS ?? 0) >= 180);
  t.ok((latency.minLength ?? 0) <= (latency.maxLength ?? Infinity));
  t.ok(latency.targetP99Ms !== undefined && latency.targetP99Ms > 500, 'aims above the 0.5 s threshold');
  t.equal(MODE_INFO['alert-memory'].sendsTraffic, false);
  for (const mode of MODES) t.ok(MODE_INFO[mode].about.length > 20, `${mode} is described`);
});
