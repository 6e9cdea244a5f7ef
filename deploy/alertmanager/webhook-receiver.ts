/**
 * A loopback receiver for Alertmanager's webhook notifications (and Grafana's webhook contact
 * point): it records every notification and lets a caller wait for one that matches. The
 * end-to-end test uses it to see HighErrorRate arrive; `npm run stack` prints what arrives.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Alertmanager's webhook payload (version 4), the fields we read. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}
export interface WebhookNotification {
  /** Request path, e.g. /alerts/critical: tells which receiver (route) sent it. */
  path: string;
  receivedAt: number;
  body: {
    receiver?: string;
    status?: string;
    alerts?: WebhookAlert[];
    groupLabels?: Record<string, string>;
    [key: string]: unknown;
  };
}

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly notifications: readonly WebhookNotification[];
  /** Resolves with the first notification (past or future) that matches; rejects after timeoutMs. */
  waitFor(match: (n: WebhookNotification) => boolean, timeoutMs: number): Promise<WebhookNotification>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startWebhookReceiver(
  opts: { host?: string; port?: number; onNotification?: (n: WebhookNotification) => void } = {},
): Promise<WebhookReceiver> {
  const notifications: WebhookNotification[] = [];
  const waiters = new Set<(n: WebhookNotification) => void>();

  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'application/json' }).end('{"code":"METHOD_NOT_ALLOWED"}');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let body: WebhookNotification['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookNotification['body'];
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":"INVALID_JSON"}');
        return;
      }
      const n: WebhookNotification = { path: req.url ?? '/', receivedAt: Date.now(), body };
      notifications.push(n);
      opts.onNotification?.(n);
      for (const w of waiters) w(n);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => res());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    notifications,
    waitFor(match, timeoutMs) {
      const hit = notifications.find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((res, rej) => {
        const waiter = (n: WebhookNotification): void => {
          if (!match(n)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          res(n);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          rej(new Error(`no matching webhook notification within ${timeoutMs} ms (got ${notifications.length})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      return new Promise((res) => {
        server.closeAllConnections();
        server.close(() => res());
      });
    },
  };
}
