/**
 * The metric catalogue: every metric both services expose is defined here once. The services
 * register from it, docs/metrics.md is generated from it, and the dashboard and rules read
 * their names from it, so a rename cannot leave a panel pointing at nothing.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';
export type MetricOwner = 'exporter' | 'inference';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
  readonly owner: MetricOwner;
  /** Named and counted as the Python predecessor did, kept for its dashboards. */
  readonly predecessor?: boolean;
}

/** Latency buckets: the predecessor's .01..5 plus finer steps where this service lives (sub-ms to 10 ms). */
export const RESPONSE_TIME_BUCKETS = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10,
] as const;
/** Inference buckets: the predecessor's .001...1 plus finer low steps. */
export const INFERENCE_LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2.5,
] as const;
export const CONFIDENCE_BUCKETS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1] as const;
export const INPUT_LENGTH_BUCKETS = [16, 64, 256, 1024, 4096, 16384, 65536] as const;
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256] as const;
/** Text length after the model's cap (4000 characters for the bundled model). */
export const TEXT_LENGTH_BUCKETS = [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120] as const;
export const KNOWN_TERM_RATIO_BUCKETS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1] as const;

const P = 'spam_detector_';

function def(d: MetricDef): MetricDef {
  return d;
}

export const EXPORTER_METRICS = {
  // --- the Python predecessor's twelve (+ active connections), same names and meaning ---
  requestsTotal: def({ owner: 'exporter', predecessor: true, name: `${P}requests_total`, type: 'counter', labelNames: [],
    help: 'Prediction requests (/predict and /invocations) of every worker, failed ones included.' }),
  predictionsTotal: def({ owner: 'exporter', predecessor: true, name: `${P}predictions_total`, type: 'counter', labelNames: ['result'],
    help: 'Predictions made, by predicted label; a batch of n texts counts n.' }),
  errorsTotal: def({ owner: 'exporter', predecessor: true, name: `${P}errors_total`, type: 'counter', labelNames: [],
    help: 'Prediction requests that did not answer 2xx.' }),
  errorRatePercent: def({ owner: 'exporter', predecessor: true, name: `${P}error_rate_percent`, type: 'gauge', labelNames: [],
    help: 'Kept for compatibility with the dashboards of the Python predecessor (a _percent name, 0-100): percentage of prediction requests that failed over the last 60 s. Prefer rate(spam_detector_errors_total[1m]) / rate(spam_detector_requests_total[1m]) in PromQL.' }),
  responseTimeSeconds: def({ owner: 'exporter', predecessor: true, name: `${P}response_time_seconds`, type: 'histogram', labelNames: [],
    buckets: RESPONSE_TIME_BUCKETS, help: 'Time to answer a prediction request, measured in the worker from request start to response end.' }),
  inferenceLatencySeconds: def({ owner: 'exporter', predecessor: true, name: `${P}inference_latency_seconds`, type: 'histogram', labelNames: [],
    buckets: INFERENCE_LATENCY_BUCKETS, help: 'Time spent in the ONNX model per prediction request (one model call per batch).' }),
  cpuUsagePercent: def({ owner: 'exporter', predecessor: true, name: `${P}cpu_usage_percent`, type: 'gauge', labelNames: [],
    help: 'Kept for compatibility with the dashboards of the Python predecessor (a _percent name, 0-100): host CPU usage. Prefer spam_detector_host_cpu_usage_ratio.' }),
  memoryUsagePercent: def({ owner: 'exporter', predecessor: true, name: `${P}memory_usage_percent`, type: 'gauge', labelNames: [],
    help: 'Kept for compatibility with the dashboards of the Python predecessor (a _percent name, 0-100): host memory in use. Prefer spam_detector_host_memory_used_bytes / spam_detector_host_memory_total_bytes.' }),
  diskUsagePercent: def({ owner: 'exporter', predecessor: true, name: `${P}disk_usage_percent`, type: 'gauge', labelNames: [],
    help: 'Kept for compatibility with the dashboards of the Python predecessor (a _percent name, 0-100): usage of the monitored filesystem as df counts it, used / (used + available). Prefer spam_detector_host_disk_used_bytes and spam_detector_host_disk_available_bytes.' }),
  requestRatePerMinute: def({ owner: 'exporter', predecessor: true, name: `${P}request_rate_per_minute`, type: 'gauge', labelNames: [],
    help: 'Kept for compatibility with the dashboards of the Python predecessor: prediction requests over the last 60 s. Prefer rate(spam_detector_requests_total[1m]) * 60.' }),
  activeConnections: def({ owner: 'exporter', predecessor: true, name: `${P}active_connections`, type: 'gauge', labelNames: [],
    help: 'Open HTTP connections to the inference service, summed over connected workers.' }),
  modelAccuracy: def({ owner: 'exporter', predecessor: true, name: `${P}model_accuracy`, type: 'gauge', labelNames: ['model_version'],
    help: 'Test-split accuracy (0-1) from the model card of the model the workers serve: all held-out test texts as stored (raw emails with headers, SMS). Per domain: spam_detector_model_domain_accuracy.' }),
  modelDomainAccuracy: def({ owner: 'exporter', name: `${P}model_domain_accuracy`, type: 'gauge', labelNames: ['model_version', 'domain'],
    help: 'Held-out test accuracy (0-1) per evaluation domain (rawEmail, headerlessEmail, sms, short, userText) from the model card of the model the workers serve.' }),

  // --- idiomatic twins and model behaviour ---
  httpRequestsTotal: def({ owner: 'exporter', name: `${P}http_requests_total`, type: 'counter', labelNames: ['route', 'status_code'],
    help: 'HTTP requests of every worker, by route pattern and status code.' }),
  requestErrorsTotal: def({ owner: 'exporter', name: `${P}request_errors_total`, type: 'counter', labelNames: ['route', 'code'],
    help: 'Non-2xx answers by route pattern and stable error code.' }),
  predictionConfidence: def({ owner: 'exporter', name: `${P}prediction_confidence`, type: 'histogram', labelNames: ['result'],
    buckets: CONFIDENCE_BUCKETS, help: 'Probability the model gave its predicted label (0.5-1), by predicted label.' }),
  inputLengthCharacters: def({ owner: 'exporter', name: `${P}input_length_characters`, type: 'histogram', labelNames: [],
    buckets: INPUT_LENGTH_BUCKETS, help: 'Length of each input text in characters, as received.' }),
  batchSize: def({ owner: 'exporter', name: `${P}batch_size`, type: 'histogram', labelNames: [],
    buckets: BATCH_SIZE_BUCKETS, help: 'Texts per prediction request.' }),
  feedbackTotal: def({ owner: 'exporter', name: `${P}feedback_total`, type: 'counter', labelNames: ['predicted', 'actual'],
    help: 'Delayed ground truth received, by predicted and actual label (a confusion matrix PromQL can window).' }),
  modelInfo: def({ owner: 'exporter', name: `${P}model_info`, type: 'gauge', labelNames: ['model_version'],
    help: 'Always 1, for each model version served by a connected worker.' }),

  // --- input and score drift against the training reference (docs/metrics.md, Drift) ---
  textLengthChars: def({ owner: 'exporter', name: `${P}text_length_chars`, type: 'histogram', labelNames: [],
    buckets: TEXT_LENGTH_BUCKETS, help: 'Length of each scored text in characters (UTF-16 code units) after the model\'s preparation (its cap), as the drift reference counts it.' }),
  textKnownTermRatio: def({ owner: 'exporter', name: `${P}text_known_term_ratio`, type: 'histogram', labelNames: [],
    buckets: KNOWN_TERM_RATIO_BUCKETS, help: 'Share of each scored text\'s word tokens that are in the model\'s vocabulary (0-1; 0 for a text without word tokens).' }),
  driftPsi: def({ owner: 'exporter', name: `${P}drift_psi`, type: 'gauge', labelNames: ['signal', 'model_version'],
    help: 'Population stability index of a per-text signal (text_length, known_term_ratio, spam_probability) over the most recent DRIFT_WINDOW_TEXTS texts of a model version against that version\'s training reference; absent until 100 texts (or the whole window, if smaller). 0.1: moderate shift, 0.25: significant.' }),
  driftWindowTexts: def({ owner: 'exporter', name: `${P}drift_window_texts`, type: 'gauge', labelNames: ['signal', 'model_version'],
    help: 'Texts in the drift window of a signal and model version (grows to DRIFT_WINDOW_TEXTS).' }),
  driftSignalMean: def({ owner: 'exporter', name: `${P}drift_signal_mean`, type: 'gauge', labelNames: ['signal', 'model_version', 'source'],
    help: 'Mean of a drift signal over the training reference (source="reference") and over the drift window (source="live"), each bin at its midpoint, in the signal\'s unit (characters, ratio, probability).' }),
  driftReferenceInfo: def({ owner: 'exporter', name: `${P}drift_reference_info`, type: 'gauge', labelNames: ['model_version', 'reference'],
    help: 'Always 1, for each served model version with a drift reference: the part of its training reference PSI compares with (reference: all, email, sms or user, as DRIFT_REFERENCE selects; all when the model card has no part for the selected kind).' }),
  // --- per model version (model lifecycle): a bounded set, the versions connected workers hold ---
  modelLoadedInfo: def({ owner: 'exporter', name: `${P}model_loaded_info`, type: 'gauge', labelNames: ['model_version', 'role'],
    help: 'Always 1, for each model version a connected worker holds, by role (current, previous, shadow).' }),
  modelPredictionsTotal: def({ owner: 'exporter', name: `${P}model_predictions_total`, type: 'counter', labelNames: ['model_version', 'result'],
    help: 'Predictions answered, by the model version that made them and predicted label (series of versions no longer held are removed).' }),
  modelPredictionConfidence: def({ owner: 'exporter', name: `${P}model_prediction_confidence`, type: 'histogram', labelNames: ['model_version', 'result'],
    buckets: CONFIDENCE_BUCKETS, help: 'Probability the answering model gave its predicted label (0.5-1), by model version and predicted label.' }),
  modelInferenceLatencySeconds: def({ owner: 'exporter', name: `${P}model_inference_latency_seconds`, type: 'histogram', labelNames: ['model_version'],
    buckets: INFERENCE_LATENCY_BUCKETS, help: 'Time spent in the ONNX model per prediction request, by model version.' }),
  modelFeedbackTotal: def({ owner: 'exporter', name: `${P}model_feedback_total`, type: 'counter', labelNames: ['model_version', 'predicted', 'actual'],
    help: 'Delayed ground truth by the model version that made the prediction, predicted and actual label.' }),
  shadowPredictionsTotal: def({ owner: 'exporter', name: `${P}shadow_predictions_total`, type: 'counter', labelNames: ['model_version', 'result'],
    help: 'Texts the shadow model scored (SHADOW_MODEL_PATH), by its version and its predicted label.' }),
  shadowComparisonsTotal: def({ owner: 'exporter', name: `${P}shadow_comparisons_total`, type: 'counter', labelNames: ['model_version', 'outcome'],
    help: 'Shadow predictions compared with the answering model\'s label for the same text: outcome agree or disagree.' }),
  shadowPredictionConfidence: def({ owner: 'exporter', name: `${P}shadow_prediction_confidence`, type: 'histogram', labelNames: ['model_version', 'result'],
    buckets: CONFIDENCE_BUCKETS, help: 'Probability the shadow model gave its predicted label (0.5-1), by its version and predicted label.' }),
  shadowFeedbackTotal: def({ owner: 'exporter', name: `${P}shadow_feedback_total`, type: 'counter', labelNames: ['model_version', 'predicted', 'actual'],
    help: 'Delayed ground truth for predictions the shadow model also scored: its label (predicted) and the true one, by shadow version.' }),

  // --- host (node-os-utils), sampled on an interval ---
  hostCpuUsageRatio: def({ owner: 'exporter', name: `${P}host_cpu_usage_ratio`, type: 'gauge', labelNames: [],
    help: 'Host CPU usage (0-1), measured over 200 ms at each sampling interval (SAMPLE_INTERVAL_MS).' }),
  hostMemoryUsedBytes: def({ owner: 'exporter', name: `${P}host_memory_used_bytes`, type: 'gauge', labelNames: [],
    help: 'Host memory in use (total minus available), in bytes.' }),
  hostMemoryTotalBytes: def({ owner: 'exporter', name: `${P}host_memory_total_bytes`, type: 'gauge', labelNames: [],
    help: 'Host memory installed, in bytes.' }),
  hostDiskUsedBytes: def({ owner: 'exporter', name: `${P}host_disk_used_bytes`, type: 'gauge', labelNames: ['mountpoint'],
    help: 'Bytes used on the monitored filesystem.' }),
  hostDiskSizeBytes: def({ owner: 'exporter', name: `${P}host_disk_size_bytes`, type: 'gauge', labelNames: ['mountpoint'],
    help: 'Size of the monitored filesystem, in bytes.' }),
  hostDiskAvailableBytes: def({ owner: 'exporter', name: `${P}host_disk_available_bytes`, type: 'gauge', labelNames: ['mountpoint'],
    help: 'Bytes available to unprivileged users on the monitored filesystem (reserved blocks excluded, as df reports).' }),

  // --- the inference workers' processes (pidusage), by worker slot ---
  workerCpuUsageRatio: def({ owner: 'exporter', name: `${P}worker_cpu_usage_ratio`, type: 'gauge', labelNames: ['worker'],
    help: 'CPU used by an inference worker process, in cores (1 = one core busy).' }),
  workerResidentMemoryBytes: def({ owner: 'exporter', name: `${P}worker_resident_memory_bytes`, type: 'gauge', labelNames: ['worker'],
    help: 'Resident memory of an inference worker process, in bytes.' }),
  workerUp: def({ owner: 'exporter', name: `${P}worker_up`, type: 'gauge', labelNames: ['worker'],
    help: '1 while the worker holds a channel connection to the exporter.' }),
  workerReady: def({ owner: 'exporter', name: `${P}worker_ready`, type: 'gauge', labelNames: ['worker'],
    help: '1 when the worker last reported ready (model loaded, not shedding load).' }),

  // --- the exporter about itself ---
  eventsReceivedTotal: def({ owner: 'exporter', name: `${P}exporter_events_received_total`, type: 'counter', labelNames: ['type'],
    help: 'Well-formed channel events received, by event type.' }),
  eventsMalformedTotal: def({ owner: 'exporter', name: `${P}exporter_events_malformed_total`, type: 'counter', labelNames: ['reason'],
    help: 'Channel frames rejected, by reason.' }),
  publishersConnected: def({ owner: 'exporter', name: `${P}exporter_publishers_connected`, type: 'gauge', labelNames: [],
    help: 'Channel connections currently open.' }),
  lastEventTimestampSeconds: def({ owner: 'exporter', name: `${P}exporter_last_event_timestamp_seconds`, type: 'gauge', labelNames: [],
    help: 'Unix time of the last well-formed event received (0 before the first).' }),
  lastEventAgeSeconds: def({ owner: 'exporter', name: `${P}exporter_last_event_age_seconds`, type: 'gauge', labelNames: [],
    help: 'Seconds since the last well-formed event (-1 before the first).' }),
  publisherPublishedEvents: def({ owner: 'exporter', name: `${P}exporter_publisher_published_events`, type: 'gauge', labelNames: ['worker'],
    help: 'Data events a worker reports it published since it started (its latest hello or stats frame).' }),
  publisherDeliveredEvents: def({ owner: 'exporter', name: `${P}exporter_publisher_delivered_events`, type: 'gauge', labelNames: ['worker'],
    help: 'Data events a worker reports an exporter acknowledged since it started (its latest hello or stats frame).' }),
  publisherDroppedEvents: def({ owner: 'exporter', name: `${P}exporter_publisher_dropped_events`, type: 'gauge', labelNames: ['worker'],
    help: 'Data events a worker reports it dropped since it started, all reasons (its latest hello or stats frame).' }),
  publisherQueuedEvents: def({ owner: 'exporter', name: `${P}exporter_publisher_queued_events`, type: 'gauge', labelNames: ['worker'],
    help: 'Data events waiting in a worker\'s publisher queue (its latest hello or stats frame).' }),
  collectorErrorsTotal: def({ owner: 'exporter', name: `${P}exporter_collector_errors_total`, type: 'counter', labelNames: ['collector'],
    help: 'Host and process samples that failed, by collector.' }),
} as const satisfies Record<string, MetricDef>;

export const INFERENCE_METRICS = {
  httpRequestDurationSeconds: def({ owner: 'inference', name: 'http_request_duration_seconds', type: 'histogram',
    labelNames: ['route', 'method', 'status_code'], buckets: RESPONSE_TIME_BUCKETS,
    help: 'HTTP request duration of this worker, by route pattern, method and status code.' }),
  eventsPublishedTotal: def({ owner: 'inference', name: `${P}events_published_total`, type: 'counter', labelNames: [],
    help: 'Channel data events (request, feedback) this worker produced: delivered + dropped + queued + in flight.' }),
  eventsSentTotal: def({ owner: 'inference', name: `${P}events_sent_total`, type: 'counter', labelNames: [],
    help: 'Channel data events written to the exporter socket.' }),
  eventsDeliveredTotal: def({ owner: 'inference', name: `${P}events_delivered_total`, type: 'counter', labelNames: [],
    help: 'Channel data events the exporter acknowledged.' }),
  eventsDroppedTotal: def({ owner: 'inference', name: `${P}events_dropped_total`, type: 'counter', labelNames: ['reason'],
    help: 'Channel data events dropped instead of delivered, by reason (queue_full, disconnected, unacknowledged, shutdown, oversized).' }),
  eventsQueueDepth: def({ owner: 'inference', name: `${P}events_queue_depth`, type: 'gauge', labelNames: [],
    help: 'Channel data events waiting in the publisher queue.' }),
  eventsChannelConnected: def({ owner: 'inference', name: `${P}events_channel_connected`, type: 'gauge', labelNames: [],
    help: '1 while the channel to the exporter is connected.' }),
  loadShedTotal: def({ owner: 'inference', name: `${P}load_shed_total`, type: 'counter', labelNames: [],
    help: 'Requests refused with 503 by load shedding (@fastify/under-pressure).' }),
  ready: def({ owner: 'inference', name: `${P}ready`, type: 'gauge', labelNames: [],
    help: '1 when this worker is ready: model loaded and not under pressure.' }),
  inferenceModelInfo: def({ owner: 'inference', name: `${P}inference_model_info`, type: 'gauge', labelNames: ['model_version'],
    help: 'Always 1, labelled with the model version this worker serves.' }),
  captureRecordsTotal: def({ owner: 'inference', name: `${P}capture_records_total`, type: 'counter', labelNames: ['type'],
    help: 'Capture records (CAPTURE_DIR) this worker wrote, by type: prediction (a sampled text) or feedback (its label). 0 while capture is off.' }),
  captureDroppedTotal: def({ owner: 'inference', name: `${P}capture_dropped_total`, type: 'counter', labelNames: ['reason'],
    help: 'Capture records dropped instead of written, by reason (queue_full, write_error, shutdown); a request is never delayed or failed by capture.' }),
  inferenceModelLoadedInfo: def({ owner: 'inference', name: `${P}inference_model_loaded_info`, type: 'gauge', labelNames: ['model_version', 'role'],
    help: 'Always 1, for each model this worker holds, by role (current, previous, shadow).' }),
  modelReloadsTotal: def({ owner: 'inference', name: `${P}model_reloads_total`, type: 'counter', labelNames: ['action', 'outcome'],
    help: 'Model reloads and rollbacks (POST /admin/*, SIGHUP), by outcome: success, refused (bad file, nothing to roll back to) or failed (timeout, busy, versions differ). Counted where coordinated: the cluster primary, or the process itself.' }),
  shadowDroppedTextsTotal: def({ owner: 'inference', name: `${P}shadow_dropped_texts_total`, type: 'counter', labelNames: ['reason'],
    help: 'Texts the shadow model did not score: queue_full (SHADOW_QUEUE_MAX_TEXTS), error (the shadow call failed) or no_model (removed by a reload).' }),
  canaryRequestsTotal: def({ owner: 'inference', name: `${P}canary_requests_total`, type: 'counter', labelNames: [],
    help: 'Requests /predict answered with the candidate model (SHADOW_MODEL_PATH) instead of the current one: the CANARY_PERCENT share. Their predictions are counted under the candidate\'s model_version.' }),
  workerRestartsTotal: def({ owner: 'inference', name: `${P}inference_worker_restarts_total`, type: 'counter', labelNames: ['worker'],
    help: 'Inference workers the node:cluster primary re-forked after they died, by worker slot.' }),
} as const satisfies Record<string, MetricDef>;

export const ALL_METRICS: readonly MetricDef[] = [...Object.values(EXPORTER_METRICS), ...Object.values(INFERENCE_METRICS)];
