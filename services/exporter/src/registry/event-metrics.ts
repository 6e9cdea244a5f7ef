/**
 * The metrics fed by channel events: the request, error, prediction and latency
 * metrics named as the Python predecessor named them,
 * their idiomatic twins and the model-behaviour histograms, built from the catalogue
 * (shared/metrics.ts) so names, help, types and buckets are defined once.
 */
import type { Registry } from 'prom-client';
import { gaugeFrom } from '../../../../shared/metric-builders.js';
import { EXPORTER_METRICS as M } from '../../../../shared/metrics.js';
import { ACTUAL_DIM, CODE_DIM, PREDICTED_DIM, RESULT_DIM, ROUTE_DIM, STATUS_DIM } from './labels.js';
import { RateWindow } from './rate-window.js';
import { CounterVec, HistogramVec } from '../../../../shared/metric-vectors.js';

export class EventMetrics {
  readonly requests = new CounterVec(M.requestsTotal);
  readonly errors = new CounterVec(M.errorsTotal);
  readonly predictions = new CounterVec(M.predictionsTotal, [RESULT_DIM]);
  readonly responseTime = new HistogramVec(M.responseTimeSeconds);
  readonly inferenceLatency = new HistogramVec(M.inferenceLatencySeconds);
  readonly httpRequests = new CounterVec(M.httpRequestsTotal, [ROUTE_DIM, STATUS_DIM], 'none');
  readonly requestErrors = new CounterVec(M.requestErrorsTotal, [ROUTE_DIM, CODE_DIM], 'none');
  readonly confidence = new HistogramVec(M.predictionConfidence, [RESULT_DIM]);
  readonly inputLength = new HistogramVec(M.inputLengthCharacters);
  readonly batchSize = new HistogramVec(M.batchSize);
  readonly feedback = new CounterVec(M.feedbackTotal, [PREDICTED_DIM, ACTUAL_DIM]);
  readonly textLength = new HistogramVec(M.textLengthChars);
  readonly knownTermRatio = new HistogramVec(M.textKnownTermRatio);
  readonly window = new RateWindow();
  readonly statusCount = STATUS_DIM.values.length;
  readonly codeCount = CODE_DIM.values.length;

  constructor(registry: Registry) {
    for (const v of [
      this.requests,
      this.predictions,
      this.errors,
      this.responseTime,
      this.inferenceLatency,
      this.httpRequests,
      this.requestErrors,
      this.confidence,
      this.inputLength,
      this.batchSize,
      this.feedback,
      this.textLength,
      this.knownTermRatio,
    ]) {
      v.registerIn(registry);
    }
    const window = this.window;
    gaugeFrom(M.errorRatePercent, registry, function collect() {
      window.advance(Date.now());
      this.set(window.errorPercent());
    });
    gaugeFrom(M.requestRatePerMinute, registry, function collect() {
      window.advance(Date.now());
      this.set(window.requestCount());
    });
  }
}
