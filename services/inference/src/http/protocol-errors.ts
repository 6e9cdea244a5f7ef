/**
 * Answers given before any route or hook runs, in the one error shape with a catalogued code:
 * bytes Node's HTTP parser rejects (Fastify's clientErrorHandler), URLs the router cannot
 * decode (Fastify's frameworkErrors) and CONNECT requests. The defaults answer with bodies that
 * have no `code` (or Fastify's own FST_ERR_BAD_URL, echoing the URL back), or not at all.
 *
 * These requests never reach the hooks, so they are not in the access log, the HTTP metrics or
 * the channel's events; the answers carry no x-request-id.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, errorBody, type ErrorCode } from '../../../../shared/error-codes.js';
import { sendError } from './errors.js';
import { staticSecurityHeaders } from '../plugins/security.js';
import type { RequestOutcome } from '../outcome.js';

function rawAnswer(code: ErrorCode, message: string): string {
  const { status } = ERROR_CODES[code];
  const reason = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify(errorBody(code, message));
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`
  );
}

function codeOf(err: NodeJS.ErrnoException): ErrorCode {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  return 'INVALID_REQUEST';
}

/** The raw HTTP answer to a request Node could not parse. */
export function clientErrorResponse(err: NodeJS.ErrnoException): string {
  const code = codeOf(err);
  return rawAnswer(code, code === 'INVALID_REQUEST' ? 'malformed HTTP request' : ERROR_CODES[code].message);
}

/** How long a connection whose request was refused keeps reading before it is closed for good. */
const LINGER_MS = 2000;
const answered = new WeakSet<Socket>();

/** Fastify's clientErrorHandler option. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // The parser reports each later chunk of the same broken request again: answer once.
  if (answered.has(socket)) return;
  answered.add(socket);
  // Half-close after the answer and keep reading (the parser discards) for a moment: destroying a
  // socket with unread input makes the kernel reset the connection, and a client still sending
  // (a body behind oversized headers) would lose the answer.
  if (socket.writable) socket.end(clientErrorResponse(err));
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * An answer given before the body was read (415, 413 by Content-Length, 404/405, 401, a shed 503)
 * on a connection that is closing ends with Node's `socket.destroySoon()`. With the rest of a large
 * body still arriving, that destroy makes the kernel reset the connection, and the reset discards
 * the answer at the client: a client uploading 3 MiB got ECONNRESET (or a silent close) instead of
 * its 413 or 415. Such a socket is half-closed instead, reads (and discards) what still comes, and
 * is closed for good after LINGER_MS or when the client closes.
 *
 * The connection closes because Fastify says so (`Connection: close` after a body error, or while
 * draining) or because the client asked (`Connection: close`, HTTP/1.0): Node decides the latter
 * itself, so `reply.raw.shouldKeepAlive` carries it. On a kept-alive connection Node discards the
 * rest of the body itself and `destroySoon` is never called.
 */
export const lingerPlugin = fp(
  async (app) => {
    app.addHook('onSend', (request, reply, _payload, done) => {
      if (!request.raw.complete && connectionWillClose(reply)) {
        const socket = request.raw.socket as Socket & { destroySoon?: () => void };
        if (!answered.has(socket)) {
          answered.add(socket);
          socket.destroySoon = function lingeringDestroySoon(this: Socket) {
            this.end();
            setTimeout(() => this.destroy(), LINGER_MS).unref();
          };
          request.raw.resume();
        }
      }
      done();
    });
  },
  { name: 'linger-after-early-answer', fastify: '5.x' },
);

function connectionWillClose(reply: FastifyReply): boolean {
  return !reply.raw.shouldKeepAlive || String(reply.getHeader('connection')).toLowerCase() === 'close';
}

/**
 * The server's 'connect' listener: without one Node closes a CONNECT request's socket without
 * any answer. This is not a proxy.
 */
export function rejectConnect(_req: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => undefined);
  socket.end(rawAnswer('METHOD_NOT_ALLOWED', 'CONNECT is not allowed here'));
}

/** Installs rejectConnect on the app's server. */
export const connectRefusalPlugin = fp(
  async (app) => {
    app.server.on('connect', rejectConnect);
  },
  { name: 'connect-refusal', fastify: '5.x' },
);

let securityHeaders: Record<string, string> | undefined;

/** Fastify's frameworkErrors option: a URL that cannot be decoded (no hook has run). */
export function frameworkErrorHandler(_error: Error, request: FastifyRequest, reply: FastifyReply): void {
  request.outcome ??= {} as RequestOutcome;
  // The security-headers hook has not run either.
  securityHeaders ??= staticSecurityHeaders();
  reply.headers(securityHeaders);
  sendError(request, reply, 'INVALID_REQUEST', 'the URL is not valid');
}
