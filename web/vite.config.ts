/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dashboard is built into the Python package, which `swingdesk serve` serves at `/`.
// Nothing from the environment is read into the bundle: the API key is typed in at run time.
export default defineConfig({
  base: "/",
  plugins: [react()],
  envPrefix: "SWINGDESK_WEB_PUBLIC_",
  build: {
    outDir: "../src/swingdesk/web",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000", "/health": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
