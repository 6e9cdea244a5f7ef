/**
 * POST /admin/reload and POST /admin/rollback: model lifecycle without downtime
 * (docs/deploying-a-model.md). Registered only when ADMIN_TOKEN is set; every request needs
 * `Authorization: Bearer <ADMIN_TOKEN>` (constant-time check, shared/bearer.ts), else 401.
 *
 * The answer comes once every worker serves the result (lifecycle/coordinator.ts): 200
 * {model_version, previous, shadow_model_version?, workers, scope}. A refused file or a failed
 * step is a JSON error with a catalogued code, and the current model keeps serving.
 */
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { bearerChecker } from '../../../../shared/bearer.js';
import { ApiError, sendError } from '../http/errors.js';
import { errorResponseFor } from '../http/schemas.js';
import type { ModelAction } from '../lifecycle/coordinator.js';

export interface AdminRoutesOptions {
  token: string;
}

const PM2_NOTE =
  'pm2 runs every instance as its own process: this changed only the instance that answered. ' +
  'Reach every instance with `pm2 sendSignal SIGHUP <app>` (a rollback: restart them on the previous file).';

const DESCRIPTIONS: Record<ModelAction, { summary: string; description: string }> = {
  reload: {
    summary: 'Reload the model from MODEL_PATH (and SHADOW_MODEL_PATH)',
    description:
      'Reads MODEL_PATH again (a symlink is followed anew) and SHADOW_MODEL_PATH when set, validates the files with the ' +
      'same checks as at start and a probe run, then every worker swaps to them at once. The model that served ' +
      'becomes `previous` (kept loaded for a rollback). Answers once every worker serves the new version. ' +
      'A refused file (MODEL_REFUSED) changes nothing.',
  },
  rollback: {
    summary: 'Serve the previous model again',
    description:
      'Swaps back to the model the last reload replaced, which every worker still holds in memory (no file is read). ' +
      'A second rollback undoes the first. NO_PREVIOUS_MODEL when nothing was reloaded since the workers started.',
  },
};

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, { token }) => {
  const { admin } = app.inference;
  const authorized = bearerChecker(token);
  const requireAdmin: onRequestHookHandler = (request, reply, done) => {
    if (authorized(request.headers.authorization)) {
      done();
      return;
    }
    reply.header('www-authenticate', 'Bearer realm="spam-detector-admin"');
    sendError(request, reply, 'UNAUTHORIZED');
  };

  for (const action of ['reload', 'rollback'] as const) {
    const codes = action === 'reload'
      ? (['MODEL_REFUSED', 'RELOAD_IN_PROGRESS', 'MODEL_VERSION_MISMATCH', 'RELOAD_TIMEOUT'] as const)
      : (['NO_PREVIOUS_MODEL', 'RELOAD_IN_PROGRESS', 'MODEL_VERSION_MISMATCH', 'RELOAD_TIMEOUT'] as const);
    app.post(
      `/admin/${action}`,
      {
        onRequest: [requireAdmin],
        schema: {
          ...DESCRIPTIONS[action],
          tags: ['admin'],
          security: [{ bearer: [] }],
          response: {
            200: {
              description: 'Every worker serves `model_version`',
              type: 'object',
              required: ['model_version', 'previous', 'workers', 'scope'],
              properties: {
                model_version: { type: 'string', description: 'The version serving now.' },
                previous: { type: 'string', description: 'The version it replaced (kept loaded for a rollback).' },
                shadow_model_version: { type: 'string', description: 'The shadow model held now, when SHADOW_MODEL_PATH is set.' },
                workers: { type: 'integer', description: 'Processes that changed.' },
                scope: { type: 'string', enum: ['cluster', 'process'], description: '`cluster`: every worker of this node:cluster primary; `process`: this process alone.' },
                note: { type: 'string', description: 'Under pm2: how to reach the other instances.' },
              },
            },
            401: errorResponseFor(['UNAUTHORIZED']),
            409: errorResponseFor(codes.filter((c) => c !== 'MODEL_REFUSED' && c !== 'RELOAD_TIMEOUT')),
            ...(action === 'reload' ? { 422: errorResponseFor(['MODEL_REFUSED']) } : {}),
            504: errorResponseFor(['RELOAD_TIMEOUT']),
            500: errorResponseFor(['INTERNAL_ERROR']),
            503: errorResponseFor(['OVERLOADED', 'SHUTTING_DOWN']),
          },
        },
      },
      async (request) => {
        const outcome = await admin.run(action);
        if (!outcome.ok) throw new ApiError(outcome.code, outcome.message);
        request.log.info({ action, ...outcome.result, scope: admin.scope }, `admin ${action}`);
        return { ...outcome.result, scope: admin.scope, ...(admin.pm2 ? { note: PM2_NOTE } : {}) };
      },
    );
  }
};
