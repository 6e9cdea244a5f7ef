/**
 * Security headers (bearer tokens: http/bearer-auth.ts).
 *
 * Headers: helmet's policy for a JSON API (nothing may be framed, loaded or sniffed). helmet is
 * run ONCE at start against a recording response and the resulting static header set is
 * attached to every reply; @fastify/helmet would rebuild helmet's middleware on every request,
 * which costs more than the prediction's HTTP overhead budget allows.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * What matters for JSON answers: nothing may run (CSP), frame, sniff, leak a referrer or be read
 * cross-origin. Helmet's document-only headers (COOP, Origin-Agent-Cluster, DNS prefetch, IE and
 * Flash switches, the obsolete XSS filter) are off: each costs bytes and validation per answer.
 */
export const JSON_API_HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  // Plain HTTP on loopback or behind a TLS-terminating proxy, which owns HSTS.
  strictTransportSecurity: false,
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'no-referrer' },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/** The headers helmet would set, computed once. */
export function staticSecurityHeaders(options: HelmetOptions = JSON_API_HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
    getHeader(name: string) {
      return headers[name.toLowerCase()];
    },
  };
  // eslint-disable-next-line no-restricted-syntax -- helmet only calls setHeader/removeHeader/getHeader, which the recorder has
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return headers;
}

export const securityHeadersPlugin = fp(
  async (app) => {
    const headers = staticSecurityHeaders();
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
  },
  { name: 'security-headers', fastify: '5.x' },
);
