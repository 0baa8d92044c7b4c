/**
 * The purity boundary of libs/core: no framework, ORM, queue, Redis or HTTP client imports.
 * Shared by eslint.config.mjs and by the test that proves the rule fires.
 */
const forbidden = [
  '@nestjs/*',
  'typeorm',
  'typeorm/*',
  'bullmq',
  'bullmq/*',
  'ioredis',
  'axios',
  'pg',
  'express',
];

module.exports = {
  forbidden,
  coreBoundaryConfig: {
    files: ['libs/core/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/core/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: forbidden,
              message:
                'libs/core is pure TypeScript: declare a port in libs/core/src/ports and bind it in an infrastructure library.',
            },
          ],
        },
      ],
    },
  },
};
