/**
 * Validates Kubernetes manifests against the Kubernetes OpenAPI schemas (kubernetes-models) and the
 * Prometheus Operator CRD schemas (@kubernetes-models/prometheus-operator), both compiled JSON-schema
 * validators that run offline. Like kubeconform without -strict, unknown fields are not rejected
 * (the upstream schemas allow them); types, enums, patterns and required fields are checked.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** apiVersion -> module exporting one class per kind. */
const MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

export function readManifests(path: string): Manifest[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${path} document ${i}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (typeof value !== 'object' || value === null || typeof (value as Manifest).apiVersion !== 'string' || typeof (value as Manifest).kind !== 'string') {
      throw new Error(`${path} document ${i}: not a Kubernetes object (apiVersion and kind needed)`);
    }
    return value as Manifest;
  });
}

/** Throws with the schema's message when the manifest is invalid (or of an unknown kind). */
export async function validateManifest(manifest: Manifest): Promise<void> {
  const modulePath = MODULES[manifest.apiVersion];
  if (!modulePath) throw new Error(`no schema for apiVersion ${manifest.apiVersion}`);
  const mod = (await import(modulePath)) as Record<string, ModelClass | undefined>;
  const Model = mod[manifest.kind];
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest).validate();
}
