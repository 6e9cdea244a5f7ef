/**
 * What it takes to fire HighMemoryUsage (spam_detector_memory_usage_percent > 80 for 2m).
 * That gauge is HOST memory in use (MemTotal - MemAvailable, as the exporter's node-os-utils
 * reads /proc/meminfo), and the inference service holds ~100 MB per worker whatever its load,
 * so no amount of traffic moves it on a machine with gigabytes of RAM. The operator's way is
 * to take memory on purpose for a few minutes; this module works out how much, and says so.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';

export const MEMORY_ALERT_THRESHOLD_PERCENT = 80;
/** Aim a few points over the threshold so ordinary fluctuation does not reset the 2m "for". */
export const MEMORY_DEMO_TARGET_PERCENT = 85;
/** 2m "for" + a scrape and an evaluation interval on each side, with margin. */
export const MEMORY_DEMO_HOLD_S = 240;

export interface MemoryPlan {
  totalBytes: number;
  usedBytes: number;
  usedPercent: number;
  thresholdPercent: number;
  targetPercent: number;
  /** Memory to take to reach the target; 0 when the host is already over it. */
  extraBytes: number;
  holdSeconds: number;
  /** A command that takes extraBytes for holdSeconds (Debian package stress-ng). */
  command: string | null;
}

/** MemTotal and MemAvailable from /proc/meminfo; os.freemem() where there is none. */
export async function readHostMemory(): Promise<{ totalBytes: number; availableBytes: number }> {
  try {
    const text = await readFile('/proc/meminfo', 'utf8');
    const kb = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
      return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
    };
    const total = kb('MemTotal');
    const available = kb('MemAvailable') ?? kb('MemFree');
    if (total !== undefined && available !== undefined) return { totalBytes: total, availableBytes: available };
  } catch {
    // not Linux: fall through
  }
  return { totalBytes: os.totalmem(), availableBytes: os.freemem() };
}

export function planMemoryDemo(mem: { totalBytes: number; availableBytes: number }): MemoryPlan {
  const used = mem.totalBytes - mem.availableBytes;
  const target = (MEMORY_DEMO_TARGET_PERCENT / 100) * mem.totalBytes;
  const extra = Math.max(0, Math.ceil(target - used));
  const mib = Math.ceil(extra / 2 ** 20);
  return {
    totalBytes: mem.totalBytes,
    usedBytes: used,
    usedPercent: mem.totalBytes > 0 ? (used / mem.totalBytes) * 100 : 0,
    thresholdPercent: MEMORY_ALERT_THRESHOLD_PERCENT,
    targetPercent: MEMORY_DEMO_TARGET_PERCENT,
    extraBytes: extra,
    holdSeconds: MEMORY_DEMO_HOLD_S,
    command: extra === 0 ? null : `stress-ng --vm 1 --vm-bytes ${mib}M --vm-keep --timeout ${MEMORY_DEMO_HOLD_S}s`,
  };
}

const GIB = 2 ** 30;

export function describeMemoryPlan(plan: MemoryPlan): string {
  const gib = (b: number): string => `${(b / GIB).toFixed(1)} GiB`;
  const lines = [
    'HighMemoryUsage fires when HOST memory in use stays above 80% for 2 minutes.',
    `This host: ${gib(plan.usedBytes)} of ${gib(plan.totalBytes)} in use (${plan.usedPercent.toFixed(1)}%).`,
    'The inference service holds about 100 MB per worker however hard it is driven, so traffic',
    'alone cannot fire this alert here; the generator sends nothing in this mode.',
    '',
  ];
  if (plan.command === null) {
    lines.push(`The host is already over ${plan.targetPercent}%: the alert should be pending or firing now.`);
  } else {
    lines.push(
      `To demo it, take ${gib(plan.extraBytes)} more (to ~${plan.targetPercent}%) for ${plan.holdSeconds / 60} minutes, e.g.:`,
      '',
      `  apt-get install -y stress-ng   # once`,
      `  ${plan.command}`,
      '',
      'The alert goes pending at the next evaluation after the exporter samples the new usage,',
      'fires 2 minutes later, and resolves within a scrape or two after stress-ng exits.',
      'Do this only on a machine you may starve: other processes compete for what is left.',
      'To check the rule itself without a hog, run the promtool rule tests in deploy/.',
    );
  }
  return lines.join('\n');
}
