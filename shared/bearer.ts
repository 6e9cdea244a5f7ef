/**
 * Optional bearer tokens (METRICS_TOKEN on the exporter, which Prometheus sends with
 * `authorization: {credentials_file: ...}` in its scrape config). The comparison is constant
 * time: both sides are hashed to 32 bytes first, so neither the token's content nor its length
 * leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError, readOptionalString, type Env } from './env.js';

/** Printable ASCII without spaces, long enough not to be guessed. */
export const BEARER_TOKEN_PATTERN = /^[\x21-\x7e]{16,256}$/;

export function readBearerToken(env: Env, name: string): string | undefined {
  const value = readOptionalString(env, name);
  if (value !== undefined && !BEARER_TOKEN_PATTERN.test(value)) {
    throw new ConfigError(`${name} must be 16-256 printable ASCII characters without spaces`);
  }
  return value;
}

/** The WWW-Authenticate header of every 401 (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="spam-detector"';

/** A check of an Authorization header against `token`: `Bearer <token>`, nothing else. */
export function bearerChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (authorization) => {
    const given = typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
    return given !== '' && timingSafeEqual(createHash('sha256').update(given).digest(), expected);
  };
}
