/**
 * Mapper: one validated event in, metric updates out. This is where the seed's counting rules
 * live (shared/metrics.ts and the contract): requests_total counts every /predict and
 * /invocations request, failed ones included; errors_total those that did not answer 2xx;
 * predictions_total{result} one per text (a batch of n counts n).
 */
import type { ChannelEvent, RequestEvent } from '../../../shared/events.js';
import type { EventMetrics } from './registry/event-metrics.js';
import { codeIndex, IS_PREDICTION_ROUTE, labelIndex, routeIndex, statusIndex } from './registry/labels.js';
import type { Publishers } from './publishers.js';

export class EventMapper {
  constructor(
    private readonly m: EventMetrics,
    private readonly publishers: Publishers,
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
        this.publishers.hello(connection, e);
        break;
      case 'stats':
        this.publishers.stats(connection, e);
        break;
    }
  }

  private request(e: RequestEvent): void {
    const m = this.m;
    const route = routeIndex(e.route);
    const failed = e.status < 200 || e.status >= 300;
    m.httpRequests.inc(route * m.statusCount + statusIndex(e.status));
    if (failed) m.requestErrors.inc(route * m.codeCount + codeIndex(e.error_code));
    if (IS_PREDICTION_ROUTE[route]) {
      m.requests.inc(0);
      if (failed) m.errors.inc(0);
      m.window.add(failed);
      m.responseTime.observe(0, e.latency_s);
      if (e.inference_s !== undefined) m.inferenceLatency.observe(0, e.inference_s);
      if (e.batch_size !== undefined && e.batch_size > 0) m.batchSize.observe(0, e.batch_size);
    }
    const p = e.predictions;
    if (p !== undefined) {
      for (let i = 0; i < p.length; i++) {
        const x = p[i]!;
        const label = labelIndex(x.label);
        m.predictions.inc(label);
        m.confidence.observe(label, x.confidence);
        m.inputLength.observe(0, x.text_length);
      }
    }
  }
}
