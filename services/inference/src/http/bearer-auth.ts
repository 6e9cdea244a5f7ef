/** The bearer-token guard of /metrics (METRICS_TOKEN) and /feedback (FEEDBACK_TOKEN). */
import type { onRequestHookHandler } from 'fastify';
import { BEARER_CHALLENGE, bearerChecker } from '../../../../shared/bearer.js';
import { sendError } from './errors.js';

/** An onRequest hook requiring `Authorization: Bearer <token>` (shared/bearer.ts compares in constant time). */
export function requireBearerToken(token: string): onRequestHookHandler {
  const authorized = bearerChecker(token);
  return (request, reply, done) => {
    if (authorized(request.headers.authorization)) {
      done();
      return;
    }
    reply.header('www-authenticate', BEARER_CHALLENGE);
    sendError(request, reply, 'UNAUTHORIZED');
  };
}
