/**
 * The interface between the training pipeline and every reader of the ONNX file.
 * The graph takes raw strings and does its own tokenizing and TF-IDF; these names are
 * the only thing the two sides must agree on.
 */
export const MODEL_INPUT = 'text'; // string tensor [N]
export const MODEL_OUTPUT_LABEL = 'label'; // string tensor [N], "spam" | "ham"
export const MODEL_OUTPUT_SPAM_PROBABILITY = 'spam_probability'; // float tensor [N]
/** Share of a text's word tokens that are vocabulary terms, 0 for a text without tokens (drift signal). */
export const MODEL_OUTPUT_KNOWN_TERM_RATIO = 'known_term_ratio'; // float tensor [N]

/** metadata_props keys written into the ONNX file. */
export const METADATA_KEYS = {
  modelVersion: 'spam_detector.model_version',
  card: 'spam_detector.card', // the whole model card as JSON
  maxTextChars: 'spam_detector.max_text_chars',
  // Copies of card fields, so tools that only list metadata_props (netron, onnx.load) show them.
  trainedAt: 'spam_detector.trained_at',
  corpus: 'spam_detector.corpus',
  hyperParameters: 'spam_detector.hyper_parameters',
  metrics: 'spam_detector.metrics',
} as const;

export const LABELS = ['ham', 'spam'] as const;
export type Label = (typeof LABELS)[number];

export function isLabel(value: unknown): value is Label {
  return value === 'ham' || value === 'spam';
}
