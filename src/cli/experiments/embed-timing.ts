// Where the CLI's time goes per photo: read + decode + preprocess (src/image, JavaScript) vs inference
// (onnxruntime-node, batches of 16), for 1 and 2 intra-op threads. Not a test:
//   npx tsx src/cli/experiments/embed-timing.ts        (CROPGATE_DATA, default <repo>/../shared/data)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { imageToTensor } from "../../image";
import { loadNodeEmbedder } from "../model";

const DATA = process.env.CROPGATE_DATA ?? join(fileURLToPath(new URL("../../../", import.meta.url)), "../shared/data");
const DIRS = ["unseen-crops/tomato/healthy", "negatives/weeds-field"].map((d) => join(DATA, d));
if (!DIRS.every(existsSync)) {
  console.error(`skipped: ${DIRS.join(" or ")} missing (set CROPGATE_DATA to the shared data folder)`);
  process.exit(0);
}
for (const threads of [1, 2]) {
  const embedder = await loadNodeEmbedder({ threads });
  for (const dir of DIRS) {
    const files = readdirSync(dir).sort().slice(0, 48).map((f) => join(dir, f));
    let prepare = 0;
    let infer = 0;
    const tensors: Float32Array[] = [];
    for (const f of files) {
      const t0 = performance.now();
      tensors.push(imageToTensor(new Uint8Array(readFileSync(f)), embedder.preprocessing).tensor);
      prepare += performance.now() - t0;
    }
    await embedder.embedBatch(tensors.slice(0, 16)); // warm-up
    for (let i = 0; i < tensors.length; i += 16) {
      const t0 = performance.now();
      await embedder.embedBatch(tensors.slice(i, i + 16));
      infer += performance.now() - t0;
    }
    console.log(
      `threads ${threads}, ${dir.split("/").pop()} (${files.length} photos): read+decode+preprocess ` +
        `${(prepare / files.length).toFixed(1)} ms/photo, inference ${(infer / files.length).toFixed(1)} ms/photo`,
    );
  }
  await embedder.release();
}
