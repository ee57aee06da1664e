import { describe, expect, it } from "vitest";
import { getEmbedder, manifest, modelBytes } from "./bundled";
import { withPrecompiledWasm } from "./ort-wasm";
import { sha256Hex } from "./sha256";

// Guards the mechanism in ort-wasm.ts, which rests on onnxruntime-web internals (pinned exactly):
// if an ort upgrade changes how its glue instantiates wasm, these fail before anything else does.
describe("onnxruntime-web in workerd", () => {
  it("bundles the model the manifest describes", async () => {
    expect(modelBytes.byteLength).toBe(manifest.model.bytes);
    expect(await sha256Hex(modelBytes)).toBe(manifest.model.sha256);
  });

  it("cannot compile wasm from bytes here (why the precompiled-module detour exists)", async () => {
    const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(WebAssembly.instantiate(empty)).rejects.toThrow(/disallowed|code generation/i);
  });

  it("instantiates the precompiled wasm, embeds, and restores WebAssembly.instantiate", async () => {
    const original = WebAssembly.instantiate;
    const embedder = await getEmbedder();
    expect(WebAssembly.instantiate).toBe(original);

    const [, c, h, w] = manifest.model.input.shape;
    const a = await embedder.embed(new Float32Array(c * h * w).fill(0.25));
    const b = await embedder.embed(new Float32Array(c * h * w).fill(-0.5));
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(manifest.model.output.shape[1]);
    expect(a.every(Number.isFinite)).toBe(true);
    // Different inputs give different embeddings: the graph really ran.
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    // The same session is reused.
    expect(await getEmbedder()).toBe(embedder);
  });

  it("installs the wrapper once for overlapping callers and restores the original after the last", async () => {
    const original = WebAssembly.instantiate;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = withPrecompiledWasm(() => gate);
    const second = withPrecompiledWasm(async () => WebAssembly.instantiate);
    expect(await second).not.toBe(original); // still installed: `first` holds it
    expect(WebAssembly.instantiate).not.toBe(original);
    release();
    await first;
    expect(WebAssembly.instantiate).toBe(original);
  });

  it("rejects a tensor of the wrong size instead of running the model", async () => {
    const embedder = await getEmbedder();
    await expect(embedder.embed(new Float32Array(10))).rejects.toThrow(/model wants/);
  });
});
