/**
 * The root error handler: every thrown or framework error becomes the one JSON error shape with
 * a stable code. Client mistakes never become 500s; real failures are logged with their stack
 * and answered without it.
 */
import fp from 'fastify-plugin';
import { ApiError, classifyError, sendError, statusOf } from '../http/errors.js';

export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((error, request, reply) => {
      const err = error instanceof Error ? error : new Error(String(error));
      const { code, message } = classifyError(err);
      if (statusOf(code) >= 500 && !(err instanceof ApiError)) {
        request.log.error({ err }, 'request failed');
      } else {
        request.log.debug({ code }, `request rejected: ${message}`);
      }
      if (err instanceof ApiError && err.headers) reply.headers(err.headers);
      return sendError(request, reply, code, message);
    });
  },
  { name: 'errors', fastify: '5.x', dependencies: ['request-context'], decorators: { request: ['outcome'] } },
);
