/**
 * The exporter's registry of the workers connected to it: identity and served model (hello
 * frames), connection and readiness gauges and their event books (stats frames). The CPU and
 * memory of their processes belong to collectors/workers.ts, which asks this registry which
 * processes are connected.
 *
 * Worker-labelled series are bounded: one per worker slot (the slot id is a bounded cluster or
 * pm2 index, not the pid, so a restarted worker reuses its series), at most MAX_SLOTS slots, and
 * a disconnected slot is the first to be evicted when a new one needs room.
 */
import type { Registry } from 'prom-client';
import { gaugeFrom } from '../../../shared/metric-builders.js';
import type { HelloEvent, ModelDomain, PublisherBooks, StatsEvent } from '../../../shared/events.js';
import { EXPORTER_METRICS as M, type MetricDef } from '../../../shared/metrics.js';

export const MAX_SLOTS = 64;

interface Connection {
  id: number;
  worker: string | undefined;
  pid: number | undefined;
  modelVersion: string | undefined;
  modelAccuracy: number | undefined;
  modelDomainAccuracy: Partial<Record<ModelDomain, number>>;
  /** The version data events without a model_version of their own were made by. */
  baseVersion: string | undefined;
  previousVersion: string | undefined;
  shadowVersion: string | undefined;
  activeConnections: number;
}

interface Slot {
  worker: string;
  pid: number;
  connections: Set<number>;
  ready: boolean;
  books: PublisherBooks | undefined;
  lastSeenMs: number;
}

export interface WorkerProcess {
  worker: string;
  pid: number;
}

export interface Logger {
  warn(obj: object, msg: string): void;
}

export class WorkerRegistry {
  private readonly connections = new Map<number, Connection>();
  private readonly slots = new Map<string, Slot>();
  private warnedFull = false;

  constructor(private readonly log?: Logger) {}

  get connected(): number {
    return this.connections.size;
  }

  connect(id: number): void {
    this.connections.set(id, {
      id, worker: undefined, pid: undefined, modelVersion: undefined, modelAccuracy: undefined, modelDomainAccuracy: {},
      baseVersion: undefined, previousVersion: undefined, shadowVersion: undefined, activeConnections: 0,
    });
  }

  disconnect(id: number): void {
    const c = this.connections.get(id);
    this.connections.delete(id);
    if (c?.worker !== undefined) this.slots.get(c.worker)?.connections.delete(id);
  }

  /** Told the versions connected workers hold whenever a hello may have changed them. */
  onHeldVersions: ((held: ReadonlySet<string>) => void) | undefined;

  hello(id: number, e: HelloEvent): void {
    const c = this.connections.get(id);
    if (!c) return;
    c.modelVersion = e.model_version;
    c.modelAccuracy = e.model_accuracy;
    c.modelDomainAccuracy = { ...(e.model_domain_accuracy ?? {}) };
    c.baseVersion = e.base_model_version ?? e.model_version;
    c.previousVersion = e.previous_model_version;
    c.shadowVersion = e.shadow_model_version;
    const slot = this.bind(c, e.worker, e.pid);
    if (slot) slot.books = booksOf(e);
    // Only a hello prunes: a worker restarting (disconnected for a moment) keeps its series.
    this.onHeldVersions?.(this.heldVersions());
  }

  /** The version a connection's data events default to (its hello's base version). */
  baseVersion(id: number): string | undefined {
    return this.connections.get(id)?.baseVersion;
  }

  /** Every version a connected worker holds, by its latest hello. */
  heldVersions(): Set<string> {
    const held = new Set<string>();
    for (const c of this.connections.values()) {
      for (const v of [c.modelVersion, c.baseVersion, c.previousVersion, c.shadowVersion]) if (v !== undefined) held.add(v);
    }
    return held;
  }

  stats(id: number, e: StatsEvent): void {
    const c = this.connections.get(id);
    if (!c) return;
    c.activeConnections = e.active_connections;
    const slot = this.bind(c, e.worker, e.pid);
    if (slot) {
      slot.ready = e.ready;
      slot.books = booksOf(e);
    }
  }

  /** The model version the latest hello on connection `id` named. */
  modelVersionOf(id: number): string | undefined {
    return this.connections.get(id)?.modelVersion;
  }

  /** Model versions served by a connected worker. */
  servedVersions(): Set<string> {
    const out = new Set<string>();
    for (const c of this.connections.values()) if (c.modelVersion !== undefined) out.add(c.modelVersion);
    return out;
  }

  /** Distinct worker processes currently connected, for process sampling. */
  processes(): WorkerProcess[] {
    const out: WorkerProcess[] = [];
    for (const slot of this.slots.values()) if (slot.connections.size > 0) out.push({ worker: slot.worker, pid: slot.pid });
    return out;
  }

  private bind(c: Connection, worker: string, pid: number): Slot | undefined {
    c.worker = worker;
    c.pid = pid;
    let slot = this.slots.get(worker);
    if (!slot) {
      if (this.slots.size >= MAX_SLOTS && !this.evictOne()) {
        if (!this.warnedFull) {
          this.warnedFull = true;
          this.log?.warn({ worker, maxSlots: MAX_SLOTS }, 'too many worker slots: this worker is counted but gets no per-worker series');
        }
        return undefined;
      }
      slot = { worker, pid, connections: new Set(), ready: false, books: undefined, lastSeenMs: 0 };
      this.slots.set(worker, slot);
    }
    if (slot.pid !== pid) {
      // A new process in the slot (restart): its figures start over.
      slot.pid = pid;
      slot.books = undefined;
    }
    slot.connections.add(c.id);
    slot.lastSeenMs = Date.now();
    return slot;
  }

  private evictOne(): boolean {
    let oldest: Slot | undefined;
    for (const s of this.slots.values()) {
      if (s.connections.size === 0 && (!oldest || s.lastSeenMs < oldest.lastSeenMs)) oldest = s;
    }
    if (!oldest) return false;
    this.slots.delete(oldest.worker);
    return true;
  }

  /** Registers every gauge derived from publisher state; values are computed at scrape. */
  register(registry: Registry): void {
    const self = this;
    const perSlot = (def: MetricDef, pick: (s: Slot) => number | undefined): void => {
      gaugeFrom(def, registry, function collect() {
        this.reset();
        for (const s of self.slots.values()) {
          const v = pick(s);
          if (v !== undefined) this.set({ worker: s.worker }, v);
        }
      });
    };
    perSlot(M.workerUp, (s) => (s.connections.size > 0 ? 1 : 0));
    perSlot(M.workerReady, (s) => (s.connections.size > 0 && s.ready ? 1 : 0));
    perSlot(M.publisherPublishedEvents, (s) => s.books?.published_events);
    perSlot(M.publisherDeliveredEvents, (s) => s.books?.delivered_events);
    perSlot(M.publisherDroppedEvents, (s) => s.books?.dropped_events);
    perSlot(M.publisherQueuedEvents, (s) => s.books?.queued_events);

    gaugeFrom(M.activeConnections, registry, function collect() {
      let sum = 0;
      for (const c of self.connections.values()) sum += c.activeConnections;
      this.set(sum);
    });
    const perModel = (def: MetricDef, value: (c: Connection) => number): void => {
      gaugeFrom(def, registry, function collect() {
        this.reset();
        for (const c of self.connections.values()) {
          if (c.modelVersion !== undefined) this.set({ model_version: c.modelVersion }, value(c));
        }
      });
    };
    perModel(M.modelAccuracy, (c) => c.modelAccuracy ?? 0);
    perModel(M.modelInfo, () => 1);
    gaugeFrom(M.modelDomainAccuracy, registry, function collect() {
      this.reset();
      for (const c of self.connections.values()) {
        if (c.modelVersion === undefined) continue;
        for (const [domain, accuracy] of Object.entries(c.modelDomainAccuracy)) this.set({ model_version: c.modelVersion, domain }, accuracy);
      }
    });
    gaugeFrom(M.modelLoadedInfo, registry, function collect() {
      this.reset();
      for (const c of self.connections.values()) {
        if (c.modelVersion !== undefined) this.set({ model_version: c.modelVersion, role: 'current' }, 1);
        if (c.previousVersion !== undefined) this.set({ model_version: c.previousVersion, role: 'previous' }, 1);
        if (c.shadowVersion !== undefined) this.set({ model_version: c.shadowVersion, role: 'shadow' }, 1);
      }
    });
  }
}

function booksOf(e: PublisherBooks): PublisherBooks {
  return {
    published_events: e.published_events,
    delivered_events: e.delivered_events,
    dropped_events: e.dropped_events,
    queued_events: e.queued_events,
  };
}
