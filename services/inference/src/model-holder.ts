/**
 * The models one process holds: `current` (answers requests), `previous` (what `current`
 * replaced, kept loaded so a rollback is a pointer swap and never reads a file again) and
 * `shadow` (a candidate scored off the response path, shadow.ts).
 *
 * A reload is two steps so that every worker of a cluster can agree before any of them changes:
 * `prepare()` loads and fully validates MODEL_PATH (and SHADOW_MODEL_PATH) with the loader's
 * hostile-file checks and probe run, while the current model keeps serving; `commit()` swaps
 * the references (atomic: one synchronous assignment, so every later model call uses the new
 * model and a call in progress finishes on the one it started with), `abort()` throws the staged
 * models away. A model taken out of service is released once the calls using it have finished
 * (reference counted), never under a running session.
 *
 * Each loaded model gets a serial number; the feedback store remembers the serial of the model
 * that made each prediction (12 bits, so it stays a small integer), and `versionOf()` turns a
 * recent serial back into its version.
 */
import { realpath } from 'node:fs/promises';
import type { ModelPrediction, ServingModel } from './serving-model.js';

export type ModelRole = 'current' | 'previous' | 'shadow';
export const MODEL_ROLES: readonly ModelRole[] = ['current', 'previous', 'shadow'];

/** Serials are stored in 12 bits (feedback-store.ts). */
export const SERIAL_MASK = 0xfff;
/** Versions remembered by serial: far more than the three loaded at once. */
const REMEMBERED_SERIALS = 64;

interface Entry {
  readonly model: ServingModel;
  readonly serial: number;
  /** The file it was read from, symlinks resolved: what a re-forked worker should read. */
  readonly path: string;
  refs: number;
  retired: boolean;
}

export interface ModelPaths {
  model: string;
  shadow?: string | undefined;
}

/** `role`: a serve-time override (SPAM_THRESHOLD) applies to the answering model, not to a shadow. */
export type ModelLoader = (path: string, role: 'current' | 'shadow') => Promise<ServingModel>;

export interface LoadedVersions {
  current: string;
  previous?: string | undefined;
  shadow?: string | undefined;
}

export interface ScoredBatch {
  prediction: ModelPrediction;
  version: string;
  serial: number;
  /** The scoring model's own truncation cap. */
  maxTextChars: number;
}

/** Why a lifecycle step was refused; `code` is in the error catalogue. */
export class ModelLifecycleError extends Error {
  override name = 'ModelLifecycleError';
  constructor(
    readonly code: 'MODEL_REFUSED' | 'NO_PREVIOUS_MODEL' | 'RELOAD_IN_PROGRESS' | 'MODEL_VERSION_MISMATCH' | 'RELOAD_TIMEOUT',
    message: string,
  ) {
    super(message);
  }
}

export class ModelHolder {
  private cur: Entry;
  private prev: Entry | undefined;
  private shad: Entry | undefined;
  private staged: { current: Entry; shadow: Entry | undefined } | undefined;
  private nextSerial = 1;
  private readonly versions = new Map<number, string>();
  private readonly listeners: ((v: LoadedVersions) => void)[] = [];

  constructor(
    private readonly paths: ModelPaths,
    private readonly loader: ModelLoader,
    initial: { current: ServingModel; currentPath: string; shadow?: ServingModel | undefined; shadowPath?: string | undefined },
  ) {
    this.cur = this.entry(initial.current, initial.currentPath);
    this.shad = initial.shadow ? this.entry(initial.shadow, initial.shadowPath ?? '') : undefined;
  }

  /**
   * Loads MODEL_PATH (and SHADOW_MODEL_PATH when set) for a new holder; `first` names other files
   * to start from (a worker re-forked after a reload), while later reloads still read `paths`.
   */
  static async load(paths: ModelPaths, loader: ModelLoader, first: ModelPaths = paths): Promise<ModelHolder> {
    const currentPath = await resolved(first.model);
    const current = await loader(currentPath, 'current');
    let shadow: ServingModel | undefined;
    let shadowPath: string | undefined;
    if (first.shadow !== undefined) {
      shadowPath = await resolved(first.shadow);
      try {
        shadow = await loader(shadowPath, 'shadow');
      } catch (err) {
        await current.release?.().catch(() => {});
        throw err;
      }
    }
    return new ModelHolder(paths, loader, { current, currentPath, shadow, shadowPath });
  }

  /** A holder of one model that cannot reload (tests, tools): a reload is refused with MODEL_REFUSED. */
  static of(model: ServingModel, path = '(in memory)'): ModelHolder {
    const loader: ModelLoader = () => Promise.reject(new Error('this holder was built around one model and cannot reload'));
    return new ModelHolder({ model: path }, loader, { current: model, currentPath: path });
  }

  get current(): ServingModel {
    return this.cur.model;
  }

  get previous(): ServingModel | undefined {
    return this.prev?.model;
  }

  get shadow(): ServingModel | undefined {
    return this.shad?.model;
  }

  /** Resolved files of the serving models (what a worker forked later should read). */
  get servingPaths(): { model: string; shadow: string | undefined } {
    return { model: this.cur.path, shadow: this.shad?.path };
  }

  loaded(): LoadedVersions {
    return { current: this.cur.model.version, previous: this.prev?.model.version, shadow: this.shad?.model.version };
  }

  /** The version of a recently loaded model by its (12-bit) serial. */
  versionOf(serial: number): string | undefined {
    return this.versions.get(serial & SERIAL_MASK);
  }

  onChange(listener: (v: LoadedVersions) => void): void {
    this.listeners.push(listener);
  }

  /** Scores `texts` with the model in `role` (undefined when no model has that role). */
  async score(role: 'current' | 'shadow', texts: string[]): Promise<ScoredBatch | undefined> {
    const e = role === 'current' ? this.cur : this.shad;
    if (!e) return undefined;
    e.refs++;
    try {
      const prediction = await e.model.predict(texts);
      return { prediction, version: e.model.version, serial: e.serial & SERIAL_MASK, maxTextChars: e.model.maxTextChars };
    } finally {
      e.refs--;
      if (e.retired && e.refs === 0) this.release(e);
    }
  }

  /** Step 1 of a reload: load and validate the files; nothing changes in service. */
  async prepare(): Promise<{ version: string; shadow: string | undefined }> {
    if (this.staged) this.abort();
    let current: Entry | undefined;
    try {
      const currentPath = await resolved(this.paths.model);
      current = this.entry(await this.loader(currentPath, 'current'), currentPath);
      let shadow: Entry | undefined;
      if (this.paths.shadow !== undefined) {
        const shadowPath = await resolved(this.paths.shadow);
        shadow = this.entry(await this.loader(shadowPath, 'shadow'), shadowPath);
      }
      this.staged = { current, shadow };
      return { version: current.model.version, shadow: shadow?.model.version };
    } catch (err) {
      if (current) this.release(current);
      throw new ModelLifecycleError('MODEL_REFUSED', err instanceof Error ? err.message : String(err));
    }
  }

  /** Step 2 of a reload: the staged models serve; the old current becomes `previous`. */
  commit(): { model_version: string; previous: string } {
    const staged = this.staged;
    if (!staged) throw new Error('commit without a prepared reload');
    this.staged = undefined;
    const old = this.cur;
    if (this.prev) this.retire(this.prev);
    this.prev = old;
    this.cur = staged.current;
    if (this.shad) this.retire(this.shad);
    this.shad = staged.shadow;
    this.changed();
    return { model_version: this.cur.model.version, previous: old.model.version };
  }

  abort(): void {
    const staged = this.staged;
    this.staged = undefined;
    if (!staged) return;
    this.release(staged.current);
    if (staged.shadow) this.release(staged.shadow);
  }

  /** What a rollback would do, or why it cannot. */
  checkRollback(): { version: string; previous: string } {
    if (!this.prev) throw new ModelLifecycleError('NO_PREVIOUS_MODEL', 'no previous model is loaded (nothing was reloaded since this worker started)');
    return { version: this.prev.model.version, previous: this.cur.model.version };
  }

  /** `previous` serves again and the model it replaces becomes `previous` (a second rollback undoes the first). */
  rollback(): { model_version: string; previous: string } {
    const { prev, cur } = this;
    if (!prev) throw new ModelLifecycleError('NO_PREVIOUS_MODEL', 'no previous model is loaded');
    this.cur = prev;
    this.prev = cur;
    this.changed();
    return { model_version: prev.model.version, previous: cur.model.version };
  }

  /** At shutdown: every model, whatever its role. */
  async releaseAll(): Promise<void> {
    this.abort();
    const all = [this.cur, this.prev, this.shad].filter((e): e is Entry => e !== undefined);
    await Promise.all(all.map(async (e) => e.model.release?.().catch(() => {})));
  }

  private entry(model: ServingModel, path: string): Entry {
    const serial = this.nextSerial++;
    this.versions.set(serial & SERIAL_MASK, model.version);
    if (this.versions.size > REMEMBERED_SERIALS) this.versions.delete(this.versions.keys().next().value!);
    return { model, serial, path, refs: 0, retired: false };
  }

  private retire(e: Entry): void {
    e.retired = true;
    if (e.refs === 0) this.release(e);
  }

  private release(e: Entry): void {
    void e.model.release?.().catch(() => {});
  }

  private changed(): void {
    const v = this.loaded();
    for (const l of this.listeners) l(v);
  }
}

/** Symlinks resolved, so the file read is named; a missing file is left to the loader to report. */
async function resolved(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}
