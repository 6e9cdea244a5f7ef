/**
 * CANARY_PERCENT in the inference configuration (services/inference/src/config.ts): a number from
 * 0 to 100, default 0; anything else, or a non-zero share without SHADOW_MODEL_PATH (the canary is
 * answered by the candidate it loads), stops the start with a message naming the variable.
 */
import t from 'tap';
import { readInferenceConfig } from '../../../services/inference/src/config.js';
import { testEnv } from '../../helpers/inference.js';

const SHADOW = { SHADOW_MODEL_PATH: '/srv/models/candidate.onnx' };

t.test('CANARY_PERCENT: default 0, whole and fractional shares', async (t) => {
  t.equal(readInferenceConfig(testEnv({})).canaryPercent, 0, 'unset: 0');
  t.equal(readInferenceConfig(testEnv({ CANARY_PERCENT: '' })).canaryPercent, 0, 'empty: 0');
  t.equal(readInferenceConfig(testEnv({ CANARY_PERCENT: '0' })).canaryPercent, 0, '0 needs no shadow');
  t.equal(readInferenceConfig(testEnv({ ...SHADOW, CANARY_PERCENT: '20' })).canaryPercent, 20);
  t.equal(readInferenceConfig(testEnv({ ...SHADOW, CANARY_PERCENT: '2.5' })).canaryPercent, 2.5);
  t.equal(readInferenceConfig(testEnv({ ...SHADOW, CANARY_PERCENT: '100' })).canaryPercent, 100);
});

t.test('CANARY_PERCENT out of range or not a number stops the start', async (t) => {
  for (const bad of ['-1', '100.5', '101', '1e3']) {
    t.throws(() => readInferenceConfig(testEnv({ ...SHADOW, CANARY_PERCENT: bad })), { name: 'ConfigError', message: /^CANARY_PERCENT must be between 0 and 100/ }, `refused: ${bad}`);
  }
  for (const bad of ['abc', '20%', 'NaN', 'Infinity']) {
    t.throws(() => readInferenceConfig(testEnv({ ...SHADOW, CANARY_PERCENT: bad })), { name: 'ConfigError', message: /^CANARY_PERCENT must be a number/ }, `refused: ${bad}`);
  }
});

t.test('a non-zero CANARY_PERCENT without SHADOW_MODEL_PATH stops the start', async (t) => {
  t.throws(() => readInferenceConfig(testEnv({ CANARY_PERCENT: '10' })), {
    name: 'ConfigError',
    message: /^CANARY_PERCENT=10 needs SHADOW_MODEL_PATH/,
  });
});
