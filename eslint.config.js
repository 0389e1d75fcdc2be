// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.local/', 'data/', 'tmp/', 'coverage/'] },
  {
    // dependency-cruiser reads its configuration as CommonJS.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // CI's own scripts run under Node as plain ES modules.
    files: ['.ci/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through services/shared/config.ts.' },
      ],
    },
  },
  {
    // Functions a reader can hold: long work is broken into named steps.
    files: ['services/**/*.ts', 'tables/**/*.ts', 'schemas/**/*.ts', 'infra/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Tests read JSON answers loosely; the assertions check their shape.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The configuration module reads the environment; the local launchers, benchmarks and test harness
    // hand it on to the processes they start; the compose test reads the engine's DOCKER_HOST.
    files: [
      'services/shared/config.ts',
      'infra/**/*.ts',
      'test/support/**/*.ts',
      'test/compose/**/*.ts',
      'bench/**/*.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
);
