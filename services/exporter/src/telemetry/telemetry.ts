/**
 * The exporter's metrics about itself: what the channel delivered (by frame type), what it
 * rejected (by reason), who is connected, how fresh the data is, and which samplers fail.
 */
import type { Counter, Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '../../../../shared/metric-builders.js';
import type { ChannelEventType, MalformedReason } from '../../../../shared/events.js';
import { EXPORTER_METRICS as M } from '../../../../shared/metrics.js';
import { reasonIndex, REASON_DIM, typeIndex, TYPE_DIM } from '../registry/labels.js';
import { CounterVec } from '../../../../shared/metric-vectors.js';

export class Telemetry {
  readonly received = new CounterVec(M.eventsReceivedTotal, [TYPE_DIM]);
  readonly malformed = new CounterVec(M.eventsMalformedTotal, [REASON_DIM]);
  private readonly collectorErrors: Counter<string>;
  /** Unix ms of the last well-formed frame; 0 before the first. */
  lastEventMs = 0;

  constructor(registry: Registry, connectedPublishers: () => number, collectorNames: readonly string[]) {
    this.received.registerIn(registry);
    this.malformed.registerIn(registry);
    gaugeFrom(M.publishersConnected, registry, function collect() {
      this.set(connectedPublishers());
    });
    const self = this;
    gaugeFrom(M.lastEventTimestampSeconds, registry, function collect() {
      this.set(self.lastEventMs / 1000);
    });
    gaugeFrom(M.lastEventAgeSeconds, registry, function collect() {
      this.set(self.lastEventMs === 0 ? -1 : Math.max(0, (Date.now() - self.lastEventMs) / 1000));
    });
    this.collectorErrors = counterFrom(M.collectorErrorsTotal, registry);
    for (const name of collectorNames) this.collectorErrors.inc({ collector: name }, 0);
  }

  countReceived(type: ChannelEventType): void {
    this.received.inc(typeIndex(type));
  }

  countMalformed(reason: MalformedReason): void {
    this.malformed.inc(reasonIndex(reason));
  }

  countCollectorError(collector: string): void {
    this.collectorErrors.inc({ collector });
  }
}
