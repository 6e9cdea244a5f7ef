/**
 * wrk (the C load generator, Debian package `wrk`) as the bench's HTTP load: one run, its text
 * report parsed (req/s, latency distribution, non-2xx answers, socket errors) and its own CPU time
 * read from /proc by a `done()` hook inside the wrk process, so the figures say how much of the
 * two cores the load generator itself took.
 *
 * A Node load generator (autocannon) costs about as much CPU per request as the server it drives
 * and capped bare Fastify near half of what wrk shows on these machines (the team's bench notes).
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

/**
 * The Lua script: method, headers and body (read from a file, byte for byte), and a done() hook
 * that prints wrk's own CPU ticks on one marked line after the report.
 */
function luaScript(bodyFile: string | undefined, method: string): string {
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
    'done = function(summary, latency, requests)',
    '  local s = assert(io.open("/proc/self/stat", "r")):read("*a")',
    '  local fields = {}',
    '  for v in s:match("%) (.*)"):gmatch("%S+") do fields[#fields + 1] = v end',
    // After "(comm) ": state is field 3 of stat(5), so utime (14) and stime (15) are 12 and 13 here.
    '  io.write(string.format("WRK-CPU-TICKS %s %s\\n", fields[12], fields[13]))',
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
  };
}

/** The wrk process of a run, started; `result` resolves when it exits. */
export interface WrkRun {
  pid: number;
  result: Promise<WrkResult>;
}

export function startWrk(spec: WrkSpec): WrkRun {
  const dir = mkdtempSync(join(tmpdir(), 'wrk-'));
  let bodyFile: string | undefined;
  if (spec.body !== undefined) {
    bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, spec.body);
  }
  const script = join(dir, 'request.lua');
  writeFileSync(script, luaScript(bodyFile, spec.method));
  const threads = spec.threads ?? 1;
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
  child.stdout.on('data', (b: Buffer) => out.push(b));
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
        resolve({ ...parseWrkReport(report), command: `wrk ${args.join(' ').replace(script, 'post.lua')}`, report });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
  return { pid: child.pid ?? -1, result };
}
