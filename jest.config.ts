import type { Config } from 'jest';

/*
 * Two projects: `unit` (pure, millisecond tests beside the code) and `e2e` (boots the real
 * apps against the local Postgres and Redis; one database and queue prefix per run, made in
 * global setup). Type-checking is `npm run typecheck`, so ts-jest only transpiles here.
 */
const moduleNameMapper = {
  '^@app/(core|persistence|messaging|platform|callbacks|outbound|connectors|client)$':
    '<rootDir>/libs/$1/src',
  '^@app/(core|persistence|messaging|platform|callbacks|outbound|connectors|client)/(.*)$':
    '<rootDir>/libs/$1/src/$2',
};

const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};

const config: Config = {
  collectCoverageFrom: ['libs/core/src/**/*.ts', '!libs/core/src/**/index.ts', '!**/*.spec.ts'],
  coverageReporters: ['text-summary', 'text'],
  coverageThreshold: {
    global: {},
    './libs/core/src/': { lines: 90 },
  },
  // Global only: Jest ignores testTimeout inside a project. e2e tests drive real servers.
  testTimeout: 60_000,
  // Known-long suites first on a clean clone, where Jest has no durations cached.
  testSequencer: '<rootDir>/test/support/slow-first-sequencer.cjs',
  projects: [
    {
      displayName: 'unit',
      rootDir: '.',
      testEnvironment: 'node',
      moduleFileExtensions: ['ts', 'js', 'json'],
      testMatch: [
        '<rootDir>/libs/*/src/**/*.spec.ts',
        '<rootDir>/libs/*/test/**/*.spec.ts',
        '<rootDir>/apps/*/src/**/*.spec.ts',
        '<rootDir>/scripts/**/*.spec.ts',
      ],
      transform,
      moduleNameMapper,
    },
    {
      displayName: 'e2e',
      rootDir: '.',
      testEnvironment: 'node',
      moduleFileExtensions: ['ts', 'js', 'json'],
      testMatch: [
        '<rootDir>/apps/*/test/**/*.e2e-spec.ts',
        '<rootDir>/libs/*/test/**/*.e2e-spec.ts',
        '<rootDir>/test/**/*.e2e-spec.ts',
      ],
      transform,
      moduleNameMapper,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/worker-env.ts'],
    },
    {
      // Faults, floods and fuzzing against the built apps (`npm run test:chaos[:ci]`).
      displayName: 'chaos',
      rootDir: '.',
      testEnvironment: 'node',
      moduleFileExtensions: ['ts', 'js', 'json'],
      testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
      transform,
      moduleNameMapper,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};

export default config;
