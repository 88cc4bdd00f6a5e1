import { defineConfig } from 'vite';

/**
 * The portal. `npm run build:web` writes dist/web, which the API serves at / (libs/http/portal.ts);
 * `npm run dev:web` serves it with hot reload and sends /v1 to the API on :3000, so cookies and the CSP see one origin.
 */
export default defineConfig({
  root: import.meta.dirname,
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // Every browser the portal supports preloads modules natively; the polyfill would be an inline-able script.
    modulePreload: { polyfill: false },
    sourcemap: true,
    reportCompressedSize: false,
    rolldownOptions: {
      // React Server Components' "use client" markers mean nothing in a client-only bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    proxy: { '/v1': { target: process.env.TIDINGS_API_URL ?? 'http://localhost:3000', changeOrigin: false } },
  },
});
