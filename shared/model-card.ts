/**
 * The model card: what the training pipeline wrote about a model. It is stored as JSON next to
 * the ONNX file (models/spam-classifier.card.json) and inside it (metadata key
 * METADATA_KEYS.card), served by GET /model, and read by the traffic generator to reproduce
 * the held-out split and by the drift monitor (the `reference` section).
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

/** One bin of a reliability curve (10 equal-width bins of the spam probability). */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted spam probability in the bin (0 when empty). */
  meanPredicted: number;
  /** Share of spam among the bin's texts (0 when empty). */
  fractionSpam: number;
}

export interface DomainMetrics extends ClassificationMetrics {
  /** Share of ham labelled spam (false-positive rate): legitimate messages blocked. */
  blockedHamRate: number;
  /** Expected calibration error over 10 equal-width bins. */
  ece: number;
  reliability: ReliabilityBin[];
}

/**
 * Evaluation domains: raw emails (with headers), the same emails header-less, SMS, texts of
 * at most SHORT_TEXT_CHARS characters from any domain, and a user's own texts.
 */
export const DOMAINS = ['rawEmail', 'headerlessEmail', 'sms', 'short', 'userText'] as const;
export type Domain = (typeof DOMAINS)[number];
export const SHORT_TEXT_CHARS = 80;

/**
 * A histogram: proportions[i] is the share of values v with edges[i] <= v < edges[i + 1]; the
 * last bin also holds v == its upper edge. proportions.length === edges.length - 1, sum 1.
 */
export interface Histogram {
  edges: number[];
  proportions: number[];
}

/**
 * Kinds of message a drift reference is split by: the bundled corpora's emails and SMS, and the
 * texts of a --data file ("user"). A deployment that serves one kind compares with that kind's part.
 */
export const REFERENCE_KINDS = ['email', 'sms', 'user'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

/** Distributions of the drift signals over a set of training texts (docs/model.md, step 15). */
export interface ReferenceDistributions {
  texts: number;
  classMix: { spam: number; ham: number };
  /** Text length in UTF-16 code units after the cap. */
  textLength: Histogram;
  knownTermRatio: Histogram;
  spamProbability: Histogram;
}

export interface CorpusSummary {
  name: string;
  source: string;
  messages: number;
  spam: number;
  ham: number;
}

export interface ModelCard {
  schemaVersion: 2;
  name: string;
  /** Deterministic for given data and hyper-parameters: derived from a hash of the parameters. */
  version: string;
  /** ISO 8601 time the training finished. */
  trainedAt: string;
  /** All corpora together, after removing exact duplicate texts. */
  corpus: CorpusSummary & {
    /** Exact duplicate texts removed before splitting (the first occurrence is kept). */
    duplicatesRemoved: number;
    /** Per corpus (the bundled model trains on SpamAssassin and the SMS Spam Collection). */
    parts: (CorpusSummary & { duplicatesRemoved: number })[];
  };
  split: {
    seed: number;
    testFraction: number;
    /** Share of all messages used as the validation split (taken from the non-test part). */
    validationFraction: number;
    /** Stratified by corpus and by class. */
    stratified: true;
    /** Messages (not training texts: a message may give several, see preprocessing.headers). */
    trainMessages: number;
    validationMessages: number;
    testMessages: number;
    /** Test messages per corpus source. */
    testBySource: Record<string, number>;
    /** After evaluation the classifier was refitted on all messages (train + validation + test). */
    refittedOnAll: boolean;
  };
  preprocessing: {
    /** Texts are cut to this many UTF-16 code units before the graph, in training and serving alike. */
    maxTextChars: number;
    /** Unicode lowering, one code point at a time, as glibc's towlower in locale C.UTF-8. */
    lowercase: 'unicode-c.utf-8';
    tokenPattern: string;
    features: {
      words: boolean;
      wordNgramRange: [1, 2];
      /** Character n-grams come from the first this-many code points (padded text); 0 = none. */
      charWindow: number;
      charNgramRange: [number, number];
    };
    /** How RFC 822 headers are handled; see docs/model.md. */
    headers: 'raw-and-body' | 'raw' | 'body';
    /** Training also used the first this-many characters of each email body (0: off). */
    shortExcerptChars: number;
    /** And the first this-many paragraphs of each email body (tags removed), cut to shortExcerptChars. */
    paragraphExcerpts: number;
    /** Loss weight of an excerpt relative to a whole text (absent in older cards: 1). */
    excerptWeight?: number;
  };
  hyperParameters: {
    maxWordFeatures: number;
    maxCharFeatures: number;
    minDf: number;
    /** Raw counts; the norm counts every occurrence, so a repeated term weighs sqrt(count) (docs/model.md). */
    tf: 'occurrences';
    smoothIdf: true;
    /**
     * Rows are divided by sqrt(sum tf * idf^2 + evidenceLambda): little evidence, small score.
     * "l2-shrunk-per-family": the word terms and the character n-grams each by their own norm.
     */
    norm: 'l2-shrunk' | 'l2-shrunk-per-family';
    evidenceLambda: number;
    classifier: 'logistic-regression';
    /** Inverse L2 regularisation strength, as in scikit-learn. */
    c: number;
    optimizer: 'l-bfgs';
    maxIterations: number;
    tolerance: number;
    /** The grid searched on the validation split, with each point's validation figures. */
    selection: { c: number; evidenceLambda: number; validationErrorRate: number; validationLogLoss: number; chosen: boolean }[];
  };
  vocabularySize: number;
  vocabulary: { words: number; chars: number };
  calibration: {
    method: 'platt';
    /** logit = scale * z + offset, z the shrunk TF-IDF dot product (intercept folded into offset). */
    scale: number;
    offset: number;
    validationTexts: number;
    /**
     * Texts of at most maxTokens word tokens have their own Platt fit (logit = scale * z + offset);
     * absent in older cards and when one calibration serves every length.
     */
    shortTexts?: { maxTokens: number; scale: number; offset: number; validationTexts: number };
    /** ECE of the validation texts before and after calibration. */
    validationEceBefore: number;
    validationEceAfter: number;
    /** Log loss of the validation texts before and after calibration (what Platt minimises; absent in older cards). */
    validationLogLossBefore?: number;
    validationLogLossAfter?: number;
  };
  threshold: number;
  thresholdPolicy: {
    /** Largest share of ham the threshold may block in each validation domain of texts as they arrive (raw emails, SMS, user texts). */
    falsePositiveBudget: number;
    /** Never below this: a text is blocked only when spam is at least as likely as not. */
    floor: number;
    validationFalsePositiveRate: Partial<Record<Domain, number>>;
    validationRecall: Partial<Record<Domain, number>>;
    /** Domains with too few validation ham (fewer than 1 / budget) for the budget to bind: the floor holds there. */
    notBinding?: Domain[];
  };
  /** Spam probability given to a text with no known term: the share of spam in training. */
  noEvidenceProbability: number;
  metrics: {
    /** All held-out test texts as stored (raw emails with headers): the figure of spam_detector_model_accuracy. */
    test: DomainMetrics;
    /** The same messages with email headers stripped. */
    testHeaderless: DomainMetrics;
    /** Per evaluation domain on the held-out test split (absent when a domain has no texts). */
    domains: Partial<Record<Domain, DomainMetrics>>;
  };
  /**
   * Training-data reference distributions for drift monitoring, over all the training texts, and
   * per kind of message when the training data had more than one (absent in older cards).
   */
  reference: ReferenceDistributions & { byKind?: Partial<Record<ReferenceKind, ReferenceDistributions>> };
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
