/**
 * Mapper: one validated event in, metric updates out. This is where the seed's counting rules
 * live (shared/metrics.ts and the contract): requests_total counts every /predict and
 * /invocations request, failed ones included; errors_total those that did not answer 2xx;
 * predictions_total{result} one per text (a batch of n counts n).
 */
import type { ChannelEvent, RequestEvent, RequestEventV1 } from '../../../shared/events.js';
import type { Label } from '../../../shared/model-io.js';
import type { EventMetrics } from './registry/event-metrics.js';
import { codeIndex, IS_PREDICTION_ROUTE, labelIndex, routeIndex, statusIndex } from './registry/labels.js';
import type { WorkerRegistry } from './worker-registry.js';

export class EventMapper {
  constructor(
    private readonly m: EventMetrics,
    private readonly workers: WorkerRegistry,
  ) {}

  apply(connection: number, e: ChannelEvent): void {
    switch (e.type) {
      case 'request':
        this.request(e);
        break;
      case 'feedback':
        this.m.feedback.inc(labelIndex(e.predicted) * 2 + labelIndex(e.actual));
        break;
      case 'hello':
        this.workers.hello(connection, e);
        break;
      case 'stats':
        this.workers.stats(connection, e);
        break;
    }
  }

  private request(e: RequestEvent | RequestEventV1): void {
    const m = this.m;
    const route = routeIndex(e.route);
    const failed = e.status < 200 || e.status >= 300;
    m.httpRequests.inc(route * m.statusCount + statusIndex(e.status));
    if (failed) m.requestErrors.inc(route * m.codeCount + codeIndex(e.error_code));
    const v1 = e.v === 1;
    if (IS_PREDICTION_ROUTE[route]) {
      m.requests.inc(0);
      if (failed) m.errors.inc(0);
      m.window.add(failed);
      m.responseTime.observe(0, v1 ? e.latency_s : e.latency_us / 1e6);
      const inference = v1 ? e.inference_s : e.inference_us === undefined ? undefined : e.inference_us / 1e6;
      if (inference !== undefined) m.inferenceLatency.observe(0, inference);
      if (e.batch_size !== undefined && e.batch_size > 0) m.batchSize.observe(0, e.batch_size);
    }
    if (v1) {
      const p = e.predictions;
      if (p !== undefined) for (let i = 0; i < p.length; i++) this.prediction(p[i]!.label, p[i]!.confidence, p[i]!.text_length);
    } else {
      const p = e.predictions;
      if (p !== undefined) for (let i = 0; i < p.length; i++) this.prediction(p[i]!.label, p[i]!.confidence_ppm / 1e6, p[i]!.text_length);
    }
  }

  private prediction(label: Label, confidence: number, textLength: number): void {
    const m = this.m;
    const l = labelIndex(label);
    m.predictions.inc(l);
    m.confidence.observe(l, confidence);
    m.inputLength.observe(0, textLength);
  }
}
