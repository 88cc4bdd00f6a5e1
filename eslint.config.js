// @ts-check
/**
 * `npm run lint` = this (ESLint with typescript-eslint's type-aware rules) + `prettier --check .`.
 *
 * typescript-eslint needs TypeScript's JavaScript compiler API, and TypeScript 7, which builds
 * the project, has none (its `typescript` module exports only the version, and typescript-eslint
 * refuses to load with it). So the lint process gets TypeScript 6.0 instead: package.json installs
 * `@typescript/typescript6`, whose own `typescript` dependency (6.0.3, nested under it, so the
 * `tsc` on PATH stays 7) is the one the hook below hands to every `require('typescript…')` made in
 * this process. The `typescript-eslint` override in package.json only quiets npm's peer-range check.
 * Drop all three once typescript-eslint works with the TypeScript that builds the project.
 */
const path = require('node:path');
const { registerHooks } = require('node:module');

const typescript6Dir = path.dirname(
  require.resolve('typescript/package.json', { paths: [path.dirname(require.resolve('@typescript/typescript6/package.json'))] }),
);
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'typescript' || specifier.startsWith('typescript/')) {
      return nextResolve(typescript6Dir + specifier.slice('typescript'.length), context);
    }
    return nextResolve(specifier, context);
  },
});

const { defineConfig, globalIgnores } = require('eslint/config');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier/flat');

module.exports = defineConfig(
  globalIgnores(['dist/', 'node_modules/', '.tools/', '.data/', 'coverage/', 'bench/results/', 'test/replay/histories/', 'test/artifacts/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // recommendedTypeChecked's promise rules (no-floating-promises, no-misused-promises,
      // await-thenable) are what this config is for, and stay errors, as do its other bug finders.
      // Off: the tests read API responses as `any` JSON (test/support/api.ts) and Nest/MikroORM hand
      // back `any` (getRequest(), execute('run')); together these flag ~750 lines and no bug.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Off: activities, providers and test fakes are async to honour a Promise-returning contract
      // without awaiting anything; the rule would only ask to rewrite them with Promise.resolve().
      '@typescript-eslint/require-await': 'off',
      // Off: it judges assertions with TypeScript 6's inference, while 7 builds the project; what it
      // finds is redundant, not wrong.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Off: template literals here deliberately print unknown errors and Buffers (String() of an
      // Error is its message); an `[object Object]` slip shows in the first log line anyway.
      '@typescript-eslint/restrict-template-expressions': 'off',
      // Off: the rich-text sanitizer matches control characters on purpose.
      'no-control-regex': 'off',
      // Off: prom-client calls a metric's collect() with `this` bound to the metric, so the owner is
      // reached through an alias.
      '@typescript-eslint/no-this-alias': 'off',
      // Unused parameters and bindings named _… are deliberate (interface implementations, loops that count).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // http_ece ships no types and is loaded with a typed require().
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^http_ece$'] }],
    },
  },
  {
    // The CommonJS config files at the root are not part of tsconfig.json.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The portal's service worker: a classic script in the worker's own global scope.
    files: ['apps/web/public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { self: 'readonly', URL: 'readonly' },
    },
  },
  // Last, so no formatting rule can disagree with Prettier.
  prettier,
);
