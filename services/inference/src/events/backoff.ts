/**
 * Reconnect delays: exponential backoff with full jitter, so workers that lost the exporter
 * together do not come back in lockstep.
 */
export function reconnectDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  return minMs / 2 + random() * ceiling;
}
