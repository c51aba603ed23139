import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API (and its WebSocket) to a running `workflow-engine serve`:
// WORKFLOW_ENGINE_API=127.0.0.1:4899 npm run dev
const api = process.env.WORKFLOW_ENGINE_API ?? "127.0.0.1:4820";
const target = api.includes("://") ? api : `http://${api}`;

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": { target, ws: true, changeOrigin: true },
    },
  },
  build: {
    outDir: "dist",
    // No source maps unless asked for (WEB_SOURCEMAP=1): they would publish the source, and
    // the server does not serve *.map without WORKFLOW_ENGINE_SERVE_SOURCEMAPS=1 either.
    sourcemap: process.env.WEB_SOURCEMAP === "1",
    chunkSizeWarningLimit: 800,
  },
});
