/**
 * The HTTP ceiling: a bare Fastify app with one POST route that parses the JSON body and answers
 * a fixed JSON object shaped like a prediction. No plugins, no logging, no model, so the ratio
 * /predict / bare isolates what the service adds on top of Fastify on this machine.
 * Started by the bench as its own process; logs the services' ready line.
 */
import Fastify from 'fastify';

const FIXED = {
  id: 'bench-0000000000',
  prediction: 'ham',
  confidence: 0.9,
  probabilities: { ham: 0.9, spam: 0.1 },
  model_version: 'bare',
  inference_time_ms: 0,
};

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/predict', async () => FIXED);
app.get('/health', async () => ({ status: 'ok' }));

const url = await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ msg: 'ready', url })}\n`);
const stop = (): void => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
