/**
 * GET / on the exporter: the landing page (landing-page.ts) over the registry's current values.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { renderLanding } from './landing-page.js';
import { readLandingState } from './landing-state.js';

/** The page has no scripts, frames or forms: forbid all of them, allow its inline style. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** host, host:port, [v6]:port; nothing that could break out of the YAML snippet's quotes. */
const HOST_RE = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The address Prometheus should scrape: the Host the browser used (the name people reach this
 * exporter by), else the socket's local address when the header is absent or odd.
 */
export function scrapeTarget(req: Pick<FastifyRequest, 'headers' | 'socket'>): string {
  const host = req.headers.host;
  if (typeof host === 'string' && HOST_RE.test(host)) return host;
  const { localAddress, localPort } = req.socket;
  const addr = localAddress ?? '127.0.0.1';
  const bracketed = addr.includes(':') ? `[${addr}]` : addr;
  return localPort ? `${bracketed}:${localPort}` : bracketed;
}

export interface LandingOptions {
  registry: Registry;
  health: () => { publishers: number; uptime_s: number };
}

/** A plugin (not a function taking the app) so it fits whatever logger type the server has. */
export const landingPlugin: FastifyPluginAsync<LandingOptions> = async (app, { registry, health }) => {
  app.get('/', async (req, reply) => {
    const state = await readLandingState(registry, health());
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .send(renderLanding(state, scrapeTarget(req)));
  });
};
