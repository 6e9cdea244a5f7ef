/**
 * Every host and process collector, registered in this one place (node_exporter style): add a
 * file next to this one and a line here.
 */
import type { Collector, CollectorContext, CollectorFactory } from './collector.js';
import { createCpuCollector } from './cpu.js';
import { createDiskCollector } from './disk.js';
import { createMemoryCollector } from './memory.js';
import { createWorkersCollector } from './workers.js';

export const COLLECTORS: Readonly<Record<string, CollectorFactory>> = {
  cpu: createCpuCollector,
  memory: createMemoryCollector,
  disk: createDiskCollector,
  workers: createWorkersCollector,
};

export const COLLECTOR_NAMES: readonly string[] = Object.keys(COLLECTORS);

export function createCollectors(ctx: CollectorContext): Collector[] {
  return Object.values(COLLECTORS).map((factory) => factory(ctx));
}
