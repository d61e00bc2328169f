import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/ and served by @laas/server at /console (see packages/server/src/console.ts):
// every asset URL is relative to that base, and nothing is fetched from another origin.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // The size script prints the gzip figure that matters; Vite's own report is noise beside it.
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1000,
  },
});
