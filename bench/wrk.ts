/**
 * wrk (the C load generator, Debian package `wrk`) as the bench's HTTP load: one run, its text
 * report parsed (req/s, latency distribution, non-2xx answers, socket errors) and its own CPU time
 * read from /proc by a `done()` hook inside the wrk process, so the figures say how much of the
 * two cores the load generator itself took.
 *
 * With `tally` the script also counts the answers by status (and, for status >= 400, the distinct
 * Retry-After values and JSON `code`s); with `maxRequests` it sends exactly that many requests and
 * ends the run once all are answered (bench/overload.ts: counts compared exactly with the service's).
 *
 * A Node load generator costs about as much CPU per request as the server it drives and capped
 * bare Fastify near half of what wrk shows on these machines (the team's bench notes).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkSpec {
  url: string;
  method: 'GET' | 'POST';
  /** A JSON body (sent with Content-Type: application/json); none for a GET. */
  body?: string;
  connections: number;
  seconds: number;
  threads?: number;
  /** Per-request timeout; a request slower than this counts as a socket timeout. */
  timeoutSeconds?: number;
  /** Count the answers in the script: WrkResult.tally. */
  tally?: boolean;
  /**
   * Send exactly this many requests (one thread) and end the run when all are answered; `seconds`
   * is then only the bound of a run whose answers do not all come.
   */
  maxRequests?: number;
}

/** What the script saw of every answer (`tally`). */
export interface WrkTally {
  /** Answers by status; they add up to WrkResult.requests. */
  statuses: Record<string, number>;
  /** For each status >= 400: the distinct Retry-After headers and body `code`s ("(none)" if absent). */
  errors: Record<string, { retryAfter: string[]; codes: string[] }>;
}

export interface WrkResult {
  /** Every answer wrk read, whatever its status. */
  requests: number;
  seconds: number;
  /** wrk's "Requests/sec": all answers, including non-2xx. */
  requestsPerSecondAll: number;
  latencyMs: { p50: number; p75: number; p90: number; p99: number; max: number; mean: number };
  /** wrk's "Non-2xx or 3xx responses" (status >= 400). A run with any is not a throughput figure. */
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** CPU seconds the wrk process used (user + system, all its threads), from /proc/self/stat. */
  cpuSeconds: number;
  /** With `tally`. */
  tally?: WrkTally;
  /** The command that ran, for the report. */
  command: string;
  /** wrk's report as printed. */
  report: string;
}

let clockTicks: number | undefined;
/** Kernel clock ticks per second (the unit of utime/stime in /proc/<pid>/stat). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Marker line the script prints (and flushes) once `maxRequests` answers are in. */
const ALL_ANSWERED = 'WRK-ALL-ANSWERED';
/** Distinct Retry-After values (and distinct codes) kept over all statuses: a bound; the service sends one or two. */
const MAX_DISTINCT = 16;

/**
 * Answers counted by status inside each thread's script state (response() makes wrk parse the
 * headers and body); done() runs in the main state and reads each thread's flat `tally` table
 * with thread:get. Keys: "s <status>" = count, "r <status> <Retry-After>" and "c <status> <code>".
 */
const TALLY_LUA = [
  'tally = {}',
  'local threads = {}',
  'setup = function(thread) threads[#threads + 1] = thread end',
  'local distinct = {}',
  'local function note(key)',
  '  if tally[key] == nil then',
  '    local kind = key:sub(1, 1)',
  '    distinct[kind] = (distinct[kind] or 0) + 1',
  `    if distinct[kind] > ${MAX_DISTINCT} then return end`,
  '  end',
  '  tally[key] = (tally[key] or 0) + 1',
  'end',
  'local function count(status, headers, body)',
  '  tally["s " .. status] = (tally["s " .. status] or 0) + 1',
  '  if status >= 400 then',
  '    local retry = "(none)"',
  '    for name, value in pairs(headers) do',
  '      if name:lower() == "retry-after" then retry = value end',
  '    end',
  '    note("r " .. status .. " " .. retry)',
  `    note("c " .. status .. " " .. (body and body:match('"code"%s*:%s*"([^"]*)"') or "(none)"))`,
  '  end',
  'end',
  'local function json_string(v)',
  `  return '"' .. (v:gsub('[%c"\\\\]', function(ch) return string.format("\\\\u%04x", ch:byte()) end)) .. '"'`,
  'end',
  'local function print_tally()',
  '  local all = {}',
  '  for _, thread in ipairs(threads) do',
  '    for k, n in pairs(thread:get("tally")) do all[k] = (all[k] or 0) + n end',
  '  end',
  '  local parts = {}',
  '  for k, n in pairs(all) do parts[#parts + 1] = json_string(k) .. ":" .. n end',
  '  io.write("WRK-TALLY {" .. table.concat(parts, ",") .. "}\\n")',
  'end',
];

/** Requests only while fewer than `limit` were sent; the thread stops at the limit-th answer. */
function limitLua(limit: number): string[] {
  return [
    `local limit = ${limit}`,
    // wrk calls request() once before the run, to check that the request parses
    // (script_verify_request): that call sends nothing.
    'local sent, answered = -1, 0',
    'local req',
    'init = function(args) req = wrk.format() end',
    // An empty request writes nothing: the connection waits, idle, until the run ends.
    'request = function()',
    '  if sent >= limit then return "" end',
    '  sent = sent + 1',
    '  return req',
    'end',
    'local function answer()',
    '  answered = answered + 1',
    '  if answered == limit then',
    '    wrk.thread:stop()',
    `    io.write("${ALL_ANSWERED}\\n")`,
    '    io.flush()',
    '  end',
    'end',
  ];
}

/**
 * The Lua script: method, headers and body (read from a file, byte for byte), and a done() hook
 * that prints wrk's own CPU ticks on one marked line after the report (and the tally, if kept).
 */
function luaScript(bodyFile: string | undefined, method: string, tally: boolean, maxRequests: number | undefined): string {
  const limited = maxRequests !== undefined;
  return [
    `wrk.method = "${method}"`,
    ...(bodyFile !== undefined
      ? [
          'wrk.headers["Content-Type"] = "application/json"',
          `local f = assert(io.open("${bodyFile}", "rb"))`,
          'wrk.body = f:read("*a")',
          'f:close()',
        ]
      : []),
    ...(tally ? TALLY_LUA : []),
    ...(limited ? limitLua(maxRequests) : []),
    ...(tally || limited
      ? [
          'response = function(status, headers, body)',
          ...(tally ? ['  count(status, headers, body)'] : []),
          ...(limited ? ['  answer()'] : []),
          'end',
        ]
      : []),
    'done = function(summary, latency, requests)',
    '  local s = assert(io.open("/proc/self/stat", "r")):read("*a")',
    '  local fields = {}',
    '  for v in s:match("%) (.*)"):gmatch("%S+") do fields[#fields + 1] = v end',
    // After "(comm) ": state is field 3 of stat(5), so utime (14) and stime (15) are 12 and 13 here.
    '  io.write(string.format("WRK-CPU-TICKS %s %s\\n", fields[12], fields[13]))',
    ...(tally ? ['  print_tally()'] : []),
    'end',
    '',
  ].join('\n');
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function durationMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new Error(`wrk: cannot read the duration "${value}"`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Parses wrk 4's text report (run with --latency). Exported for the tests. */
export function parseWrkReport(text: string, ticksPerSecond = clockTicksPerSecond()): Omit<WrkResult, 'command' | 'report'> {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(text);
    if (!m) throw new Error(`wrk report without ${what}:\n${text}`);
    return m;
  };
  const lat = need(/^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m, 'the latency line');
  const pct = (p: number): number => durationMs(need(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm'), `the ${p}% latency`)[1]!);
  const total = need(/^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/m, 'the request count');
  const rps = need(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec');
  const non2xx = /^\s*Non-2xx or 3xx responses:\s+(\d+)/m.exec(text);
  const sock = /^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/m.exec(text);
  const cpu = need(/^WRK-CPU-TICKS (\d+) (\d+)/m, "the script's CPU line");
  const tally = parseWrkTally(text);
  return {
    requests: Number(total[1]),
    seconds: durationMs(`${total[2]}${total[3]}`) / 1000,
    requestsPerSecondAll: Number(rps[1]),
    latencyMs: { p50: pct(50), p75: pct(75), p90: pct(90), p99: pct(99), max: durationMs(lat[3]!), mean: durationMs(lat[1]!) },
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock
      ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
    cpuSeconds: (Number(cpu[1]) + Number(cpu[2])) / ticksPerSecond,
    ...(tally !== undefined ? { tally } : {}),
  };
}

/** The script's `WRK-TALLY {...}` line (`tally`), or undefined if the report has none. Exported for the tests. */
export function parseWrkTally(text: string): WrkTally | undefined {
  const line = /^WRK-TALLY (\{.*\})$/m.exec(text);
  if (!line) return undefined;
  const raw = JSON.parse(line[1]!) as Record<string, number>;
  const out: WrkTally = { statuses: {}, errors: {} };
  const error = (status: string): { retryAfter: string[]; codes: string[] } => (out.errors[status] ??= { retryAfter: [], codes: [] });
  for (const [key, n] of Object.entries(raw)) {
    const m = /^([src]) (\d+)(?: (.*))?$/s.exec(key);
    if (!m) throw new Error(`wrk tally: unexpected key "${key}"`);
    const kind = m[1]!;
    const status = m[2]!;
    const value = m[3] ?? '';
    if (kind === 's') out.statuses[status] = n;
    else if (kind === 'r') error(status).retryAfter.push(value);
    else error(status).codes.push(value);
  }
  for (const e of Object.values(out.errors)) {
    e.retryAfter.sort();
    e.codes.sort();
  }
  return out;
}

/** The wrk process of a run, started; `result` resolves when it exits. */
export interface WrkRun {
  pid: number;
  result: Promise<WrkResult>;
}

export function startWrk(spec: WrkSpec): WrkRun {
  const threads = spec.threads ?? 1;
  if (spec.maxRequests !== undefined && !(Number.isInteger(spec.maxRequests) && spec.maxRequests > 0 && threads === 1)) {
    throw new Error('wrk: maxRequests must be a positive integer, with one thread (the count is kept per thread)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'wrk-'));
  let bodyFile: string | undefined;
  if (spec.body !== undefined) {
    bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, spec.body);
  }
  const script = join(dir, 'request.lua');
  writeFileSync(script, luaScript(bodyFile, spec.method, spec.tally === true, spec.maxRequests));
  // wrk 4 takes whole seconds (s/m/h units only): the smoke mode's sub-second runs become 1 s.
  const args = [
    `-t${threads}`,
    `-c${Math.max(spec.connections, threads)}`,
    `-d${Math.max(1, Math.round(spec.seconds))}s`,
    `--timeout`, `${spec.timeoutSeconds ?? 10}s`,
    '--latency',
    '-s', script,
    spec.url,
  ];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let tail = '';
  child.stdout.on('data', (b: Buffer) => {
    out.push(b);
    if (spec.maxRequests === undefined) return;
    // All answers are in: wrk's main thread still sleeps out -d; SIGINT ends that sleep, and wrk
    // then reports as usual (its duration is the time until then).
    tail = (tail + b.toString('latin1')).slice(-64);
    if (tail.includes(`${ALL_ANSWERED}\n`)) {
      child.kill('SIGINT');
      tail = '';
    }
  });
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const result = new Promise<WrkResult>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      rmSync(dir, { recursive: true, force: true });
      reject(e.code === 'ENOENT' ? new Error('wrk is not installed (Debian: apt-get install wrk; .ci/run installs it)') : e);
    });
    child.once('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      const report = Buffer.concat(out).toString('utf8');
      if (code !== 0) {
        reject(new Error(`wrk exited with ${code}: ${Buffer.concat(err).toString('utf8')}${report}`));
        return;
      }
      try {
        const parsed = parseWrkReport(report);
        if (spec.tally) {
          const counted = Object.values(parsed.tally?.statuses ?? {}).reduce((a, n) => a + n, 0);
          if (parsed.tally === undefined || counted !== parsed.requests) {
            throw new Error(`wrk: the script counted ${counted} answers, wrk ${parsed.requests}:\n${report}`);
          }
        }
        resolve({ ...parsed, command: `wrk ${args.join(' ').replace(script, 'post.lua')}`, report });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
  return { pid: child.pid ?? -1, result };
}
