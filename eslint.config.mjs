// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundary from './libs/core/eslint-boundary.cjs';
import regexp from 'eslint-plugin-regexp';

/** The Node globals the plain-JS benchmark (bench/*.mjs) uses. */
const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'fetch',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'libs/client/dist/**',
      'node_modules/**',
      'coverage/**',
      'bench/results/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
      // The benchmark is plain Node ESM, linted without type information (block below).
      '!bench/**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Request data reaches many regular expressions; a backtracking one is a CPU lever for
    // anyone who can send a request (issue 21). User-supplied patterns run only through RE2.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
    },
  },
  {
    // A RegExp built at run time is where a user-supplied pattern would become a backtracking
    // regex: those go through RE2 (`compilePattern` in libs/core/src/conditions/pattern.ts).
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='RegExp'], CallExpression[callee.name='RegExp']",
          message:
            'Build no RegExp at run time: run user-supplied patterns through RE2 (compilePattern), write fixed ones as literals.',
        },
      ],
    },
  },
  boundary.coreBoundaryConfig,
  { ...tseslint.configs.disableTypeChecked, files: ['bench/**/*.mjs'] },
  {
    files: ['bench/**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
);
