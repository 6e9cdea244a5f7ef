/**
 * Input and score drift: for each model version a worker serves, the reference its hello frame
 * carried (shared/drift-reference.ts) and a window of the most recent texts that version scored,
 * binned on the reference's edges, per signal. PSI is computed at scrape, from the bin counts.
 *
 * Texts are compared with the reference of the model that produced them: a window belongs to a
 * version, so during a rollout each version is compared with its own training data, and a new
 * version starts with an empty window.
 *
 * DRIFT_REFERENCE picks the part of each reference to compare with (the whole one, or one kind of
 * message's); a version whose card has no such part is compared with its whole reference, with a
 * warning once per version.
 *
 * Memory is bounded: MAX_VERSIONS versions (the least recently used one is forgotten first) of
 * 3 windows of DRIFT_WINDOW_TEXTS two-byte bin indices each.
 */
import type { Registry } from 'prom-client';
import { gaugeFrom } from '../../../../shared/metric-builders.js';
import {
  DRIFT_SIGNALS,
  REFERENCE_FIELD,
  selectReference,
  type DriftReference,
  type DriftReferenceChoice,
  type DriftSignal,
  type ReferenceHistogram,
} from '../../../../shared/drift-reference.js';
import { EXPORTER_METRICS as M } from '../../../../shared/metrics.js';
import { binIndex, binnedMean, psi } from './psi.js';
import { BinnedWindow } from './window.js';

/** Model versions tracked at once (more than a rollout plus a shadow ever needs). */
export const MAX_VERSIONS = 8;
/** PSI over fewer texts than this is mostly sampling noise: it is not exposed until then. */
export const MIN_TEXTS_FOR_PSI = 100;

interface SignalState {
  histogram: ReferenceHistogram;
  window: BinnedWindow;
}

interface VersionState {
  referenceJson: string;
  /** The part of the reference in use: the selected kind's, or "all" (selected, or the fallback). */
  used: DriftReferenceChoice;
  signals: Record<DriftSignal, SignalState>;
}

export interface DriftMonitorOptions {
  /** DRIFT_REFERENCE: which part of each version's reference the live texts are compared with. */
  reference?: DriftReferenceChoice;
  /** Told when a version's reference lacks the selected kind (once per version). */
  onFallback?: (version: string, selected: DriftReferenceChoice) => void;
}

export class DriftMonitor {
  private readonly versions = new Map<string, VersionState>();
  /** Versions already reported as falling back, so a reconnecting fleet does not repeat it. */
  private readonly fellBack = new Set<string>();
  /** PSI is exposed once a window holds this many texts: MIN_TEXTS_FOR_PSI, or the whole window if smaller. */
  readonly minTexts: number;
  readonly reference: DriftReferenceChoice;
  private readonly onFallback: (version: string, selected: DriftReferenceChoice) => void;

  constructor(
    readonly windowTexts: number,
    opts: DriftMonitorOptions = {},
  ) {
    this.minTexts = Math.min(MIN_TEXTS_FOR_PSI, windowTexts);
    this.reference = opts.reference ?? 'all';
    this.onFallback = opts.onFallback ?? (() => {});
  }

  /**
   * The reference of `version` (from a hello). Every worker of a version sends the same one, so a
   * repeated reference keeps the window; a different one (a retrain that kept its version, which
   * training does not do) starts it over.
   */
  setReference(version: string, reference: DriftReference): void {
    const json = JSON.stringify(reference);
    const known = this.versions.get(version);
    if (known?.referenceJson === json) return;
    this.versions.delete(version);
    if (this.versions.size >= MAX_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
    const { distributions, used } = selectReference(reference, this.reference);
    if (used !== this.reference && !this.fellBack.has(version)) {
      // Bounded like the versions: after many rollouts a forgotten version may warn again.
      if (this.fellBack.size >= MAX_VERSIONS * 8) this.fellBack.clear();
      this.fellBack.add(version);
      this.onFallback(version, this.reference);
    }
    const signals = {} as Record<DriftSignal, SignalState>;
    for (const s of DRIFT_SIGNALS) {
      const histogram = distributions[REFERENCE_FIELD[s]];
      signals[s] = { histogram, window: new BinnedWindow(this.windowTexts, histogram.proportions.length) };
    }
    this.versions.set(version, { referenceJson: json, used, signals });
  }

  hasReference(version: string): boolean {
    return this.versions.has(version);
  }

  /** The part of `version`'s reference in use ("all" after a fallback), undefined without a reference. */
  referenceInUse(version: string): DriftReferenceChoice | undefined {
    return this.versions.get(version)?.used;
  }

  /**
   * One scored text of `version`. A version without a reference is not tracked; a text without a
   * known-term ratio (a worker whose model has no such output) leaves that window as it is.
   */
  observe(version: string | undefined, textLength: number, knownTermRatio: number | undefined, spamProbability: number): void {
    if (version === undefined) return;
    const v = this.versions.get(version);
    if (v === undefined) return;
    push(v.signals.text_length, textLength);
    if (knownTermRatio !== undefined) push(v.signals.known_term_ratio, knownTermRatio);
    push(v.signals.spam_probability, spamProbability);
  }

  /** PSI of one signal of one version, undefined until its window holds minTexts texts. */
  psi(version: string, signal: DriftSignal): number | undefined {
    const s = this.versions.get(version)?.signals[signal];
    if (s === undefined || s.window.size < this.minTexts) return undefined;
    return psi(s.histogram.proportions, s.window.counts, s.window.size);
  }

  /**
   * Gauges computed at scrape, for the versions `served()` names (a version no connected worker
   * serves any more has a frozen window: its figures would only look current).
   */
  register(registry: Registry, served: () => ReadonlySet<string>): void {
    const self = this;
    const servedVersions = function* (): Generator<[string, VersionState]> {
      const now = served();
      for (const entry of self.versions) if (now.has(entry[0])) yield entry;
    };
    const each = (f: (version: string, signal: DriftSignal, s: SignalState) => void): void => {
      for (const [version, v] of servedVersions()) {
        for (const signal of DRIFT_SIGNALS) f(version, signal, v.signals[signal]);
      }
    };
    gaugeFrom(M.driftReferenceInfo, registry, function collect() {
      this.reset();
      for (const [version, v] of servedVersions()) this.set({ model_version: version, reference: v.used }, 1);
    });
    gaugeFrom(M.driftPsi, registry, function collect() {
      this.reset();
      each((version, signal) => {
        const value = self.psi(version, signal);
        if (value !== undefined) this.set({ signal, model_version: version }, value);
      });
    });
    gaugeFrom(M.driftWindowTexts, registry, function collect() {
      this.reset();
      each((version, signal, s) => this.set({ signal, model_version: version }, s.window.size));
    });
    gaugeFrom(M.driftSignalMean, registry, function collect() {
      this.reset();
      each((version, signal, s) => {
        const edges = s.histogram.edges;
        this.set({ signal, model_version: version, source: 'reference' }, binnedMean(edges, s.histogram.proportions));
        if (s.window.size > 0) this.set({ signal, model_version: version, source: 'live' }, binnedMean(edges, s.window.counts, s.window.size));
      });
    });
  }
}

function push(s: SignalState, value: number): void {
  s.window.push(binIndex(s.histogram.edges, value));
}
