// Builds @hookgate/client into dist/ (CommonJS plus type declarations), run by
// `npm run build` and by `npm pack` (prepack). The generated schema.d.ts is a declaration
// file, which tsc does not copy: it goes to dist/ beside the declarations importing it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
for (const file of ['schema.d.ts', 'openapi.json']) {
  copyFileSync(join(root, 'src', file), join(root, 'dist', file));
}
