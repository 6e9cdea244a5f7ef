/**
 * A host or process collector: one source, sampled on the sampler's interval (never per event
 * or per scrape), its gauges registered once. Modelled on node_exporter's collector/ package.
 */
import type { OSUtils } from 'node-os-utils';
import type { Registry } from 'prom-client';
import type { WorkerRegistry } from '../worker-registry.js';

export interface Collector {
  readonly name: string;
  /** Reads the source and sets the gauges; rejects when the source failed (the sampler counts it). */
  sample(): Promise<void>;
}

export interface CollectorContext {
  registry: Registry;
  os: OSUtils;
  /** The connected workers, for per-process collectors. */
  workers: WorkerRegistry;
  /** A path on the filesystem whose usage is reported (DISK_PATH). */
  diskPath: string;
}

export type CollectorFactory = (ctx: CollectorContext) => Collector;

/** node-os-utils reports failures as values, not exceptions; this turns them into exceptions. */
export function unwrap<T>(result: { success: true; data: T } | { success: false; error?: { message?: string } }, what: string): T {
  if (result.success) return result.data;
  throw new Error(`${what}: ${result.error?.message ?? 'failed'}`);
}
