import { ESLint } from 'eslint';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tsParser from '@typescript-eslint/parser';

/**
 * libs/core stays pure: the lint rule that guards it fires on framework and I/O imports,
 * and no file in libs/core/src imports one today.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const boundary = require('../eslint-boundary.cjs') as {
  forbidden: string[];
  coreBoundaryConfig: Record<string, unknown>;
};

const ROOT = join(__dirname, '..', '..', '..');

async function lint(code: string, file = 'libs/core/src/example.ts'): Promise<string[]> {
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tsParser } },
      boundary.coreBoundaryConfig,
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('libs/core purity boundary', () => {
  it.each([
    ["import { Injectable } from '@nestjs/common';"],
    ["import { DataSource } from 'typeorm';"],
    ["import { Repository } from 'typeorm/repository/Repository';"],
    ["import { Queue } from 'bullmq';"],
    ["import Redis from 'ioredis';"],
    ["import axios from 'axios';"],
  ])('refuses %s', async (code) => {
    const messages = await lint(code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^no-restricted-imports: .*libs\/core is pure TypeScript/);
  });

  it('allows node built-ins and relative imports', async () => {
    expect(
      await lint("import { createHmac } from 'node:crypto';\nimport { getPath } from './path';"),
    ).toEqual([]);
  });

  it('does not apply outside libs/core', async () => {
    expect(
      await lint("import { Injectable } from '@nestjs/common';", 'apps/admin/src/x.ts'),
    ).toEqual([]);
  });

  it('holds for every source file of libs/core today', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith('.ts') && !name.endsWith('.spec.ts')) files.push(full);
      }
    };
    walk(join(ROOT, 'libs', 'core', 'src'));
    expect(files.length).toBeGreaterThan(20);
    const pattern = new RegExp(
      `from '(${boundary.forbidden.map((f) => f.replace('/*', '/').replace('*', '')).join('|')})`,
    );
    const offenders = files.filter((file) => pattern.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
