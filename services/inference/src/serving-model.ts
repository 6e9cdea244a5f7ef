/**
 * What the HTTP layer needs from a loaded model: structurally the model helper's SpamModel
 * (services/inference/src/model/). Typed here as a port so the app and its tests depend on
 * behaviour, not on how the ONNX file is loaded.
 */
export interface ModelPrediction {
  labels: ArrayLike<string>;
  /** P(spam) per text, in input order. */
  spamProbabilities: ArrayLike<number>;
  /**
   * Per text, the share of its word tokens that are in the vocabulary (a drift signal), when
   * the model outputs it (shared/drift-reference.ts).
   */
  knownTermRatios?: ArrayLike<number> | undefined;
  /** Wall time of the one model call for the whole batch. */
  inferenceSeconds: number;
}

export interface ServingModel {
  readonly version: string;
  /** The model card (training metrics, features, ...), served as-is by GET /model. */
  readonly card: object;
  /** The model's own truncation cap: longer texts are cut to this many characters before inference. */
  readonly maxTextChars: number;
  /** The threshold in force and where it comes from ("model" or "SPAM_THRESHOLD"); GET /model shows both. */
  readonly threshold?: number;
  readonly thresholdSource?: string;
  predict(texts: string[]): Promise<ModelPrediction>;
  /** Frees the onnxruntime session at shutdown. */
  release?(): Promise<void>;
}
