/**
 * Readiness of one worker: the model is loaded (an app is only built around a loaded model),
 * it is not draining and @fastify/under-pressure does not report pressure.
 */
import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../../../shared/error-codes.js';

export type Readiness = { ready: true } | { ready: false; code: ErrorCode; reason: string };

export function readiness(app: FastifyInstance): Readiness {
  if (app.inference.lifecycle.draining) return { ready: false, code: 'SHUTTING_DOWN', reason: 'shutting down' };
  if (app.hasDecorator('isUnderPressure') && app.isUnderPressure()) {
    return { ready: false, code: 'OVERLOADED', reason: 'under pressure (event loop, memory)' };
  }
  return { ready: true };
}
