import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

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
    // `npm run dev`: the API and /_local of an oms-local on 3000 behind the dev server's origin.
    proxy: Object.fromEntries(
      ['/_local', '/orders', '/products', '/me', '/settings', '/stats', '/after-sales', '/anomalies', '/refunds',
        '/exports', '/reports', '/audit', '/promotions', '/coupon-templates', '/coupons', '/channel-stores',
        '/channel-findings', '/ecommerce-orders', '/skus', '/stores', '/search', '/customers', '/admin',
        '/risk', '/daily-checks', '/stock-adjustments', '/stocktakes', '/shipments', '/warehouses',
        '/redemptions', '/verifications'].map((path) => [path, 'http://127.0.0.1:3000']),
    ),
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    css: false,
  },
});
