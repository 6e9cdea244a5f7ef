/**
 * The plugins declare what they read (fastify-plugin `dependencies` and `decorators`), so a wrong
 * registration order fails at boot with Fastify's own error instead of a TypeError per request.
 */
import t from 'tap';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { accessLogPlugin } from '../../../../services/inference/src/plugins/access-log.js';
import { docsPlugin } from '../../../../services/inference/src/plugins/docs.js';
import { errorsPlugin } from '../../../../services/inference/src/plugins/errors.js';
import { metricsPlugin } from '../../../../services/inference/src/plugins/metrics.js';
import { pressurePlugin } from '../../../../services/inference/src/plugins/pressure.js';
import { requestContextPlugin } from '../../../../services/inference/src/plugins/request-context.js';
import { eventsPlugin } from '../../../../services/inference/src/events/plugin.js';

type Register = (app: FastifyInstance) => unknown;

/** Each fails naming the plugin (Fastify's message: a decorator or a dependency it requires is missing). */
const cases: Array<[string, Register, RegExp]> = [
  ['request-context without the inference context', (app) => app.register(requestContextPlugin), /'request-context'/],
  ['errors before request-context', (app) => app.register(errorsPlugin), /'errors'/],
  ['metrics without the inference context', (app) => app.register(metricsPlugin, { registry: new Registry() }), /'metrics'/],
  ['access-log before request-context', (app) => app.register(accessLogPlugin), /'access-log'/],
  ['pressure before request-context and metrics', (app) => app.register(pressurePlugin), /'pressure'/],
  ['docs without the inference context', (app) => app.register(docsPlugin), /'docs'/],
  ['events before request-context', (app) => app.register(eventsPlugin, { publisher: undefined as never }), /'events'/],
];

for (const [name, register, mentions] of cases) {
  t.test(name, async (t) => {
    const app = Fastify();
    t.teardown(() => app.close());
    await t.rejects(async () => {
      await register(app);
      await app.ready();
    }, mentions);
  });
}
