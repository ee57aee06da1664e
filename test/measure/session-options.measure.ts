// Measures ORT session options for the bundled model inside workerd (not part of `npm test`: timings
// never gate tests). Run: npx vitest run -c vitest.measure.config.ts
import { it } from "vitest";
import modelBytes from "../../models/cropgate-embedder-int8.onnx";
import { manifest } from "../../src/model/bundled";
import { createEmbedder, type Embedder } from "../../src/model/session";

const RUNS = 30;

it("disable_quant_qdq on vs off: session creation and warm inference", async () => {
  const [, c, h, w] = manifest.model.input.shape;
  const x = new Float32Array(c * h * w).map((_, i) => Math.sin(i) * 0.5);
  const variants: Array<[string, Embedder, number]> = [];
  for (const disableQuantQdq of [true, false]) {
    const t0 = performance.now();
    const e = await createEmbedder(modelBytes, manifest, { disableQuantQdq });
    const createMs = performance.now() - t0;
    await e.embed(x); // first run allocates
    variants.push([`disable_quant_qdq=${disableQuantQdq ? 1 : 0}`, e, createMs]);
  }
  // Interleaved so machine load hits both alike.
  const times = variants.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) {
    for (const [i, [, e]] of variants.entries()) {
      const t0 = performance.now();
      await e.embed(x);
      times[i]!.push(performance.now() - t0);
    }
  }
  const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
  const base = median(times[1]!);
  for (const [i, [name, , createMs]] of variants.entries()) {
    const m = median(times[i]!);
    console.log(`${manifest.model.id} ${name}: create ${createMs.toFixed(0)} ms, warm inference median ${m.toFixed(1)} ms (${RUNS} runs), ${(m / base).toFixed(2)}× of option off`);
  }
}, 600_000);
