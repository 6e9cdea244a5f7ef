export { ModelLoadError } from './errors.js';
export { loadModel, MAX_MODEL_BYTES, type LoadOptions, type Prediction, type SpamModel } from './load.js';
export type { ModelCard } from '../../../../shared/model-card.js';
