/**
 * The design's limit: bare Fastify whose POST /predict calls the service's model (the same
 * loadModel(), so the same onnxruntime session options and text preparation), with the requests
 * that arrive in the same event-loop turn coalesced into one run(), and nothing else: no logging,
 * metrics, events, security headers, request context, validation schema or feedback store.
 * `/predict` of the service divided by this is what the service's own features cost.
 *
 *   MODEL_PATH=<file.onnx> (default: the bundled model)  PORT=0  COALESCE_MAX_TEXTS=32
 *
 * The reference for the model work is this server on an older model file: the design limit with
 * the bundled model over the same with the older one (bench --reference-model).
 */
import Fastify from 'fastify';
import { BUNDLED_MODEL_PATH } from '../shared/paths.js';
import { loadModel } from '../services/inference/src/model/index.js';

interface Waiting {
  texts: string[];
  resolve(r: { labels: string[]; spam: Float32Array; offset: number }): void;
  reject(err: unknown): void;
}

const model = await loadModel(process.env.MODEL_PATH || BUNDLED_MODEL_PATH);
// The service's default (COALESCE_MAX_TEXTS in services/inference/src/config.ts).
const maxTexts = Number(process.env.COALESCE_MAX_TEXTS ?? 32);
const queue: Waiting[] = [];
let scheduled = false;
let running = false;

function schedule(): void {
  if (scheduled || running || queue.length === 0) return;
  scheduled = true;
  setImmediate(() => void flush());
}

async function flush(): Promise<void> {
  scheduled = false;
  const jobs = [queue.shift()!];
  let count = jobs[0]!.texts.length;
  while (queue.length > 0 && count + queue[0]!.texts.length <= maxTexts) {
    count += queue[0]!.texts.length;
    jobs.push(queue.shift()!);
  }
  running = true;
  try {
    const p = await model.predict(jobs.length === 1 ? jobs[0]!.texts : jobs.flatMap((j) => j.texts));
    let offset = 0;
    for (const j of jobs) {
      j.resolve({ labels: p.labels, spam: p.spamProbabilities, offset });
      offset += j.texts.length;
    }
  } catch (err) {
    for (const j of jobs) j.reject(err);
  } finally {
    running = false;
    schedule();
  }
}

function predict(texts: string[]): Promise<{ labels: string[]; spam: Float32Array; offset: number }> {
  return new Promise((resolve, reject) => {
    queue.push({ texts, resolve, reject });
    schedule();
  });
}

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post<{ Body: { text?: string; texts?: string[] } }>('/predict', async (request) => {
  const { text, texts } = request.body;
  const batch = text !== undefined ? [text] : (texts ?? []);
  const { labels, spam, offset } = await predict(batch);
  const out = batch.map((_, i) => {
    const s = spam[offset + i]!;
    const label = labels[offset + i]!;
    return { prediction: label, confidence: label === 'spam' ? s : 1 - s, probabilities: { ham: 1 - s, spam: s }, model_version: model.version };
  });
  return text !== undefined ? out[0] : { predictions: out, model_version: model.version };
});
app.get('/health', async () => ({ status: 'ok' }));

const url = await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ msg: 'ready', url, model_version: model.version })}\n`);
const stop = (): void => void app.close().then(() => model.release()).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
