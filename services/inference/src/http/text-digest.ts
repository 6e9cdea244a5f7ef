/**
 * With LOG_TEXT_HASH the access log carries a 12-hex sha256 prefix per text, so operators can
 * correlate repeats without the text ever being logged.
 */
import { createHash } from 'node:crypto';

export function textDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
