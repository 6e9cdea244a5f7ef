// @ts-check
/**
 * `npm run lint`: typescript-eslint with type information (the project's tsconfig.json, as
 * `npm run typecheck` uses it), plus the project's own "one way to do each thing" rules.
 */
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** `x as unknown as T` silences the type checker entirely: each one left says why on the line before. */
const DOUBLE_CAST = {
  selector: 'TSAsExpression > TSAsExpression[typeAnnotation.type="TSUnknownKeyword"]',
  message: 'A cast through unknown: remove it, or justify it with an eslint-disable-next-line comment that says why.',
};
/** Metrics are built from the catalogue by shared/metric-builders.ts only. */
const RAW_METRIC = {
  selector: 'NewExpression[callee.name=/^(Counter|Gauge|Histogram|Summary)$/]',
  message: 'Build metrics with shared/metric-builders.ts (counterFrom/gaugeFrom/histogramFrom) from a shared/metrics.ts entry.',
};

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'models/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Fastify's async plugins and handlers, and tap's async subtests, are async by signature.
      '@typescript-eslint/require-await': 'off',
      // Its autofix removes assertions tsc needs (literal types inside unions, e.g. `'x' as Outcome`).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // prom-client calls `collect` with the metric as `this`; `self` is the object it reads from.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-restricted-syntax': ['error', DOUBLE_CAST],
      // `let x; t.teardown(() => x?.close()); x = await start()`: declared before the closure that reads it.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['services/**/*.ts', 'shared/**/*.ts'],
    ignores: ['shared/metric-builders.ts'],
    rules: { 'no-restricted-syntax': ['error', DOUBLE_CAST, RAW_METRIC] },
  },
  {
    // Routes read what plugins decorate (app.inference, request.outcome); they never import plugins.
    files: ['services/inference/src/routes/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../plugins/*'], message: 'Routes do not import from plugins/.' }] }] },
  },
  {
    // onnx-proto declares its int64 fields with the `long` package's Long, which is not installed
    // (tsc's skipLibCheck hides it): those fields, and the enums compared with them, are unresolved types.
    files: ['services/inference/src/model/validate.ts', 'training/src/onnx-*.ts'],
    rules: { '@typescript-eslint/no-unsafe-argument': 'off', '@typescript-eslint/no-unsafe-enum-comparison': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // tap tracks the promise of every t.test() itself.
      '@typescript-eslint/no-floating-promises': 'off',
      // Tests assert on parsed JSON answers (any) field by field; the assertion is the check.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Tests hand deliberately ill-typed values to the code under test, and look for control bytes.
      'no-restricted-syntax': 'off',
      'no-control-regex': 'off',
      // A caught value of any type is printed as it comes.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
);
