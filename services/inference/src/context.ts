/**
 * What the plugins and routes of one app share, decorated on the Fastify instance as
 * `inference`, plus the route-level config flags the cross-cutting plugins read.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceConfig } from './config.js';
import type { FeedbackStore } from './feedback-store.js';
import type { CaptureWriter } from './capture/writer.js';
import type { IdSource } from './ids.js';
import type { ServingModel } from './serving-model.js';
import type { ClusterLink } from './cluster/link.js';
import type { ModelHolder } from './model-holder.js';
import type { ModelAdmin } from './lifecycle/admin.js';
import type { CanarySplit } from './canary.js';

export interface Lifecycle {
  /** Set when shutdown begins: answers carry `Connection: close`, /ready turns 503 SHUTTING_DOWN. */
  draining: boolean;
}

export interface InferenceContext {
  readonly config: InferenceConfig;
  /** The model serving right now (models.current): read it per request, it changes on reload. */
  readonly model: ServingModel;
  /** Current, previous and shadow models. */
  readonly models: ModelHolder;
  /** The share of requests the candidate answers (CANARY_PERCENT). */
  readonly canary: CanarySplit;
  /** Reload and rollback as POST /admin/* runs them (this process, or the whole cluster). */
  readonly admin: ModelAdmin;
  readonly ids: IdSource;
  readonly store: FeedbackStore;
  /** Capture of scored texts (CAPTURE_DIR), when on. */
  readonly capture: CaptureWriter | undefined;
  readonly lifecycle: Lifecycle;
  /** Present in a node:cluster worker: reaches the primary and the other workers. */
  readonly cluster: ClusterLink | undefined;
  /** Version of this service (package.json). */
  readonly serviceVersion: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    inference: InferenceContext;
  }
  interface FastifyContextConfig {
    /** Route-level override of @fastify/under-pressure's handler (see plugins/pressure.ts). */
    pressureHandler?: (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => unknown;
  }
}
