/**
 * The model card: what the training pipeline wrote about a model. It is stored as JSON next to
 * the ONNX file (models/spam-classifier.card.json) and inside it (metadata key
 * METADATA_KEYS.card), served by GET /model, and read by the traffic generator to reproduce
 * the held-out split.
 */
export interface ClassificationMetrics {
  /** Number of texts evaluated. */
  count: number;
  accuracy: number;
  /** Precision, recall and F1 of the positive class "spam". */
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  /** Probability at or above which a text is labelled spam. */
  threshold: number;
  confusionMatrix: { truePositive: number; falsePositive: number; trueNegative: number; falseNegative: number };
}

export interface ModelCard {
  schemaVersion: 1;
  name: string;
  /** Deterministic for given data and hyper-parameters: derived from a hash of the parameters. */
  version: string;
  /** ISO 8601 time the training finished. */
  trainedAt: string;
  corpus: {
    name: string;
    source: string;
    messages: number;
    spam: number;
    ham: number;
  };
  split: {
    seed: number;
    testFraction: number;
    stratified: true;
    /** Messages (not training texts: a message may give several, see preprocessing.headers). */
    trainMessages: number;
    testMessages: number;
  };
  preprocessing: {
    /** Texts are cut to this many UTF-16 code units before the graph, in training and serving alike. */
    maxTextChars: number;
    lowercase: 'ascii';
    tokenPattern: string;
    ngramRange: [1, 2];
    /** How RFC 822 headers are handled; see docs/model.md. */
    headers: 'raw-and-body' | 'raw' | 'body';
    /** Training also used the first this-many characters of each body (0: off). */
    shortExcerptChars: number;
  };
  hyperParameters: {
    maxFeatures: number;
    minDf: number;
    sublinearTf: true;
    smoothIdf: true;
    norm: 'l2';
    classifier: 'logistic-regression';
    /** Inverse L2 regularisation strength, as in scikit-learn. */
    c: number;
    optimizer: 'l-bfgs';
    maxIterations: number;
    tolerance: number;
  };
  vocabularySize: number;
  threshold: number;
  /** Spam probability given to a text with no known term: the share of spam in training. */
  noEvidenceProbability: number;
  metrics: {
    /** Held-out test split, texts as stored (raw emails with headers for SpamAssassin). */
    test: ClassificationMetrics;
    /** The same messages with their headers stripped: what users typically send. */
    testHeaderless: ClassificationMetrics;
    /** Only the first `chars` characters of each header-less body: short texts like users send. */
    testShortBody: ClassificationMetrics & { chars: number };
  };
  training: {
    seconds: number;
    optimizerIterations: number;
    converged: boolean;
    trainTexts: number;
  };
  onnx: {
    opsetImports: Record<string, number>;
    operators: string[];
  };
}
