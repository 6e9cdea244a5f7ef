/**
 * Mapper: one validated event in, metric updates out. This is where the Python predecessor's
 * counting rules live (kept for its dashboards; shared/metrics.ts): requests_total counts every /predict and
 * /invocations request, failed ones included; errors_total those that did not answer 2xx;
 * predictions_total{result} one per text (a batch of n counts n).
 */
import type { ChannelEvent, FeedbackEvent, FeedbackEventV1, RequestEvent, RequestEventV1, ShadowEvent } from '../../../shared/events.js';
import type { Label } from '../../../shared/model-io.js';
import type { EventMetrics } from './registry/event-metrics.js';
import { codeIndex, IS_PREDICTION_ROUTE, labelIndex, routeIndex, statusIndex } from './registry/labels.js';
import type { WorkerRegistry } from './worker-registry.js';
import type { DriftMonitor } from './drift/monitor.js';
import type { VersionGroup, VersionMetrics } from './registry/version-metrics.js';

export class EventMapper {
  constructor(
    private readonly m: EventMetrics,
    private readonly workers: WorkerRegistry,
    private readonly drift: DriftMonitor,
    private readonly versions?: VersionMetrics,
  ) {}

  apply(connection: number, e: ChannelEvent): void {
    switch (e.type) {
      case 'request':
        this.request(connection, e, this.versionGroup(connection, e.model_version));
        break;
      case 'feedback':
        this.feedback(connection, e);
        break;
      case 'shadow':
        this.shadow(e);
        break;
      case 'hello':
        this.workers.hello(connection, e);
        if (e.reference !== undefined) this.drift.setReference(e.model_version, e.reference);
        break;
      case 'stats':
        this.workers.stats(connection, e);
        break;
    }
  }

  /** The per-version series of an event: its own model_version, else its connection's base version. */
  private versionGroup(connection: number, own: string | undefined): VersionGroup | undefined {
    return this.versions?.group(own ?? this.workers.baseVersion(connection));
  }

  private feedback(connection: number, e: FeedbackEvent | FeedbackEventV1): void {
    const cell = labelIndex(e.predicted) * 2 + labelIndex(e.actual);
    this.m.feedback.inc(cell);
    this.versionGroup(connection, e.model_version)?.feedback.inc(cell);
    if (e.v === 2 && e.shadow_predicted !== undefined) {
      this.versions?.group(e.shadow_model_version)?.shadowFeedback.inc(labelIndex(e.shadow_predicted) * 2 + labelIndex(e.actual));
    }
  }

  private shadow(e: ShadowEvent): void {
    const g = this.versions?.group(e.model_version);
    if (g === undefined) return;
    const p = e.predictions;
    for (let i = 0; i < p.length; i++) {
      const x = p[i]!;
      const l = labelIndex(x.label);
      g.shadowPredictions.inc(l);
      g.shadowConfidence.observe(l, x.confidence_ppm / 1e6);
      g.shadowComparisons.inc(x.agree ? 0 : 1);
    }
  }

  private request(connection: number, e: RequestEvent | RequestEventV1, g: VersionGroup | undefined): void {
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
      if (inference !== undefined) {
        m.inferenceLatency.observe(0, inference);
        g?.inferenceLatency.observe(0, inference);
      }
      if (e.batch_size !== undefined && e.batch_size > 0) m.batchSize.observe(0, e.batch_size);
    }
    if (v1) {
      const p = e.predictions;
      if (p !== undefined) for (let i = 0; i < p.length; i++) this.prediction(p[i]!.label, p[i]!.confidence, p[i]!.text_length, g);
    } else {
      const p = e.predictions;
      if (p === undefined || p.length === 0) return;
      // The model that scored these texts: the event names it, else its connection's base version.
      const version = e.model_version ?? this.workers.baseVersion(connection) ?? this.workers.modelVersionOf(connection);
      for (let i = 0; i < p.length; i++) {
        const x = p[i]!;
        const confidence = x.confidence_ppm / 1e6;
        this.prediction(x.label, confidence, x.text_length, g);
        if (x.prepared_length !== undefined) this.driftSignals(version, x.label, confidence, x.prepared_length, x.known_ppm);
      }
    }
  }

  private prediction(label: Label, confidence: number, textLength: number, g: VersionGroup | undefined): void {
    const m = this.m;
    const l = labelIndex(label);
    m.predictions.inc(l);
    m.confidence.observe(l, confidence);
    m.inputLength.observe(0, textLength);
    if (g !== undefined) {
      g.predictions.inc(l);
      g.confidence.observe(l, confidence);
    }
  }

  /** Sent by workers that know them (schema 2 with drift signals). */
  private driftSignals(version: string | undefined, label: Label, confidence: number, preparedLength: number, knownPpm: number | undefined): void {
    const m = this.m;
    const known = knownPpm === undefined ? undefined : knownPpm / 1e6;
    m.textLength.observe(0, preparedLength);
    if (known !== undefined) m.knownTermRatio.observe(0, known);
    this.drift.observe(version, preparedLength, known, label === 'spam' ? confidence : 1 - confidence);
  }
}
