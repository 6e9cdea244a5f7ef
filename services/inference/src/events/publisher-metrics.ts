/**
 * The publisher's metrics in the worker's /metrics registry. The values live in the publisher
 * (they also feed the stats frames); these read them at scrape.
 */
import type { Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '../../../../shared/metric-builders.js';
import { DROP_REASONS } from '../../../../shared/events.js';
import { INFERENCE_METRICS as M, type MetricDef } from '../../../../shared/metrics.js';
import type { PublisherSnapshot } from './publisher.js';

export function registerPublisherMetrics(registry: Registry, read: () => PublisherSnapshot): void {
  const counter = (def: MetricDef, value: (s: PublisherSnapshot) => number): void => {
    counterFrom(def, registry, function collect() {
      this.reset();
      this.inc(value(read()));
    });
  };
  counter(M.eventsPublishedTotal, (s) => s.published_events);
  counter(M.eventsSentTotal, (s) => s.sent);
  counter(M.eventsDeliveredTotal, (s) => s.delivered_events);
  counterFrom(M.eventsDroppedTotal, registry, function collect() {
    this.reset();
    const dropped = read().dropped;
    for (const r of DROP_REASONS) this.inc({ reason: r }, dropped[r]);
  });
  gaugeFrom(M.eventsQueueDepth, registry, function collect() {
    this.set(read().queued_events);
  });
  gaugeFrom(M.eventsChannelConnected, registry, function collect() {
    this.set(read().connected ? 1 : 0);
  });
}
