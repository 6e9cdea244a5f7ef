/**
 * Environment parsing (shared/env.ts): blank means unset, values are trimmed, and every bad
 * value is a ConfigError naming the variable and the value.
 */
import t from 'tap';
import { ConfigError, LOG_LEVELS, readBool, readInt, readLogLevel, readNumber, readOptionalString, readPort, readString } from '../../../shared/env.js';

t.test('strings: unset, blank and whitespace fall back; values are trimmed', async (t) => {
  t.equal(readString({}, 'HOST', '127.0.0.1'), '127.0.0.1');
  t.equal(readString({ HOST: '' }, 'HOST', '127.0.0.1'), '127.0.0.1');
  t.equal(readString({ HOST: '   ' }, 'HOST', '127.0.0.1'), '127.0.0.1');
  t.equal(readString({ HOST: ' 0.0.0.0 ' }, 'HOST', '127.0.0.1'), '0.0.0.0');
  t.equal(readOptionalString({}, 'MODEL_PATH'), undefined);
  t.equal(readOptionalString({ MODEL_PATH: ' \t' }, 'MODEL_PATH'), undefined);
  t.equal(readOptionalString({ MODEL_PATH: ' /m.onnx\n' }, 'MODEL_PATH'), '/m.onnx');
});

t.test('integers: whole numbers in range; anything else names the variable', async (t) => {
  t.equal(readInt({}, 'WORKERS', 1, 1, 64), 1);
  t.equal(readInt({ WORKERS: ' 8 ' }, 'WORKERS', 1, 1, 64), 8);
  t.equal(readInt({ OFFSET: '-3' }, 'OFFSET', 0, -5, 5), -3);
  t.equal(readInt({ WORKERS: '64' }, 'WORKERS', 1, 1, 64), 64, 'bounds included');
  for (const bad of ['1.5', '1e3', '0x10', 'eight', '8 workers', '+8']) {
    t.throws(() => readInt({ WORKERS: bad }, 'WORKERS', 1, 1, 64), new ConfigError(`WORKERS must be an integer, got "${bad}"`), bad);
  }
  t.throws(() => readInt({ WORKERS: '0' }, 'WORKERS', 1, 1, 64), new ConfigError('WORKERS must be between 1 and 64, got 0'));
  t.throws(() => readInt({ WORKERS: '65' }, 'WORKERS', 1, 1, 64), /WORKERS must be between 1 and 64, got 65/);
});

t.test('numbers: finite and in range', async (t) => {
  t.equal(readNumber({}, 'CAPTURE_RATE', 1, 0, 1), 1);
  t.equal(readNumber({ CAPTURE_RATE: '0.25' }, 'CAPTURE_RATE', 1, 0, 1), 0.25);
  t.equal(readNumber({ CAPTURE_RATE: '1e-2' }, 'CAPTURE_RATE', 1, 0, 1), 0.01);
  for (const bad of ['NaN', 'Infinity', 'half', '0.5.1']) {
    t.throws(() => readNumber({ CAPTURE_RATE: bad }, 'CAPTURE_RATE', 1, 0, 1), new ConfigError(`CAPTURE_RATE must be a number, got "${bad}"`), bad);
  }
  t.throws(() => readNumber({ CAPTURE_RATE: '1.01' }, 'CAPTURE_RATE', 1, 0, 1), /CAPTURE_RATE must be between 0 and 1, got 1.01/);
});

t.test('booleans: the usual spellings, any case; nothing else', async (t) => {
  for (const v of ['1', 'true', 'TRUE', 'yes', 'On']) t.equal(readBool({ X: v }, 'X', false), true, v);
  for (const v of ['0', 'false', 'No', 'OFF']) t.equal(readBool({ X: v }, 'X', true), false, v);
  t.equal(readBool({}, 'X', true), true);
  t.equal(readBool({ X: ' ' }, 'X', false), false);
  t.throws(() => readBool({ DOCS_UI_ENABLED: 'enabled' }, 'DOCS_UI_ENABLED', true), new ConfigError('DOCS_UI_ENABLED must be true or false, got "enabled"'));
});

t.test('ports: 0 (any free port) to 65535', async (t) => {
  t.equal(readPort({}, 'INFERENCE_PORT', 5000), 5000);
  t.equal(readPort({ INFERENCE_PORT: '0' }, 'INFERENCE_PORT', 5000), 0);
  t.equal(readPort({ INFERENCE_PORT: '65535' }, 'INFERENCE_PORT', 5000), 65535);
  t.throws(() => readPort({ INFERENCE_PORT: '65536' }, 'INFERENCE_PORT', 5000), /INFERENCE_PORT must be between 0 and 65535, got 65536/);
  t.throws(() => readPort({ INFERENCE_PORT: 'http' }, 'INFERENCE_PORT', 5000), /INFERENCE_PORT must be an integer/);
});

t.test('LOG_LEVEL: one of pino\'s levels or silent, exactly as written', async (t) => {
  t.equal(readLogLevel({}), 'info');
  t.equal(readLogLevel({}, 'warn'), 'warn');
  for (const level of LOG_LEVELS) t.equal(readLogLevel({ LOG_LEVEL: level }), level);
  t.throws(() => readLogLevel({ LOG_LEVEL: 'verbose' }), new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "verbose"`));
  t.throws(() => readLogLevel({ LOG_LEVEL: 'INFO' }), /LOG_LEVEL must be one of/, 'case matters, as for pino');
});

t.test('ConfigError is an Error with its own name', async (t) => {
  const e = new ConfigError('x');
  t.ok(e instanceof Error);
  t.equal(e.name, 'ConfigError');
});
