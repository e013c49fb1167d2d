import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/** The control plane the dev server forwards API calls to (`npm run dev -w @krint/web`). */
const apiTarget = process.env.KRINT_API ?? 'http://127.0.0.1:5000';

export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
  server: {
    // The Host header is passed on as the browser sent it: the control plane accepts a page's
    // requests when its Origin names the host the browser asked (here, the dev server).
    proxy: {
      '/graphql': { target: apiTarget, ws: true },
      '/api': { target: apiTarget },
      '/health': { target: apiTarget },
    },
  },
});
