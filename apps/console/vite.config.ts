import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The operator console: built into dist/console, which the admin app serves at /console.
 * `npm run console:dev` serves it with hot reload and proxies /api to a running admin app
 * (ADMIN_URL, default http://127.0.0.1:3001).
 */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  resolve: { alias: { '@app/client': here('../../libs/client/src/http.ts') } },
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      // Mantine marks its modules "use client" for server components; a SPA has none.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': process.env.ADMIN_URL ?? 'http://127.0.0.1:3001' },
  },
});
