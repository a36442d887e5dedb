import { readFileSync } from 'node:fs';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/** The first path segments of the API's routes (/orders, /me, ...), from docs/openapi.json. */
function apiPrefixes(): string[] {
  const document = JSON.parse(readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8'));
  return [...new Set(Object.keys(document.paths as object).map((path) => `/${path.split('/')[1]}/`))].concat(
    Object.keys(document.paths as object).filter((path) => path.split('/').length === 2),
  );
}

// `base: './'`: the same build is served from the root of its CloudFront distribution on AWS and from
// /console/ by oms-local; routes live in the hash (#/orders), so no server rewrite rules are needed.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: process.env.OMS_CONSOLE_OUT ?? 'dist',
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'charts';
          if (id.includes('node_modules/')) return 'vendor';
          return undefined;
        },
      },
    },
  },
  server: {
    // `npm run dev`: the API, /_local and the generated config.json of an oms-local on 3000 behind the dev
    // server's origin.
    proxy: {
      '/config.json': { target: 'http://127.0.0.1:3000', rewrite: () => '/console/config.json' },
      ...Object.fromEntries(['/_local', ...apiPrefixes()].map((prefix) => [prefix, 'http://127.0.0.1:3000'])),
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    css: false,
  },
});
