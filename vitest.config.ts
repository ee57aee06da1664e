import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: "worker" runs inside workerd (Miniflare) with the real bindings of wrangler.toml;
// "node" runs the Node-side tools (CLI, Shortcut generator, browser test) in plain Node.
export default defineConfig({
  test: {
    // The worker writes one JSON line per request (src/http/observe.ts); thousands of them would bury the
    // test output. Tests of those lines spy on console, which still sees every call.
    onConsoleLog: (log) => !log.startsWith('{"message":"request"'),
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        // Lets tests import these fixture formats as bytes (`?inline`); Vite knows the other image types.
        assetsInclude: ["**/*.heic", "**/*.tif"],
        test: {
          name: "worker",
          // One module registry for all worker test files: the ≈ 20 s load of ORT's wasm and the model
          // happens once per run instead of once per file. Storage is shared too: tests use unique profiles.
          isolate: false,
          testTimeout: 30_000,
          include: ["src/**/*.test.ts", "test/worker/**/*.test.ts"],
          exclude: ["src/cli/**", "node_modules/**"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          // Full-size decodes of 8 MP photos and `npm start` runs: vitest's 5 s default timed out on this
          // shared machine under load (an 8 MP test took 5.6 s at load average ≈ 5).
          testTimeout: 30_000,
          include: ["src/cli/**/*.test.ts", "test/node/**/*.test.ts", "shortcuts/**/*.test.ts"],
        },
      },
    ],
  },
});
