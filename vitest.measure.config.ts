import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Measurements that run inside workerd but are not tests (nothing here can fail on a number).
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
  test: { name: "measure", include: ["test/measure/**/*.measure.ts"], testTimeout: 600_000 },
});
