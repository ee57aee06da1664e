import type { InferenceSession } from "onnxruntime-web/wasm";
import { withPrecompiledWasm } from "./ort-wasm";
import { type Manifest, outputDimensions, sessionConfigEntries } from "./manifest";
import { sha256Hex } from "./sha256";

/** A loaded model: turns one preprocessed NCHW tensor into its (unnormalised) embeddings. */
export interface Embedder {
  readonly manifest: Manifest;
  /** What creating it cost, by performance.now() inside the runtime: the sha256 check and the ORT session (wasm instantiation included). */
  readonly load?: { sha256Ms: number; sessionMs: number };
  /** One inference, every output by name: references that score in different outputs share it. */
  run(tensor: Float32Array): Promise<ModelOutputs>;
  /** One output (default: the primary one). */
  embed(tensor: Float32Array, output?: string): Promise<Float32Array>;
}

/** Every output of one inference, by output name (e.g. `embedding`, `features`), unnormalised. */
export type ModelOutputs = Readonly<Record<string, Float32Array>>;

export interface EmbedderOptions {
  /**
   * Overrides ORT's `session.disable_quant_qdq`, which otherwise comes from the manifest's `sessionConfig`
   * (how the pipeline measured the model). For a weight-only QDQ model, on ("1") folds the
   * DequantizeLinear nodes at load so inference runs fp32 kernels; for a static QDQ model, off fuses Q/DQ
   * pairs into int8 kernels. Measurement tools flip it; the worker does not.
   */
  disableQuantQdq?: boolean;
  /**
   * ORT session options laid over the defaults below (graph optimisation level, free dimension overrides,
   * memory pattern...): measurement tools compare them (`npm run bench -- --variant`); the worker does not.
   */
  sessionOptions?: Partial<InferenceSession.SessionOptions>;
}


/**
 * Creates an ORT session for `modelBytes` after checking them against the manifest's sha256, so a
 * bundle whose model and manifest drifted apart fails loudly instead of scoring against the wrong
 * references.
 */
export async function createEmbedder(
  modelBytes: ArrayBuffer,
  manifest: Manifest,
  options: EmbedderOptions = {},
): Promise<Embedder> {
  const t0 = performance.now();
  const actual = await sha256Hex(modelBytes);
  const sha256Ms = performance.now() - t0;
  if (actual !== manifest.model.sha256) {
    throw new Error(`bundled model sha256 ${actual} does not match manifest ${manifest.model.sha256}`);
  }
  const { input, output } = manifest.model;
  const [channels, height, width] = input.shape.slice(1) as [number, number, number];
  const size = channels * height * width;
  const dimensions = outputDimensions(manifest);

  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
    extra: sessionConfigEntries(manifest, options.disableQuantQdq),
    ...options.sessionOptions,
  };
  const t1 = performance.now();
  const { session, ort } = await withPrecompiledWasm(async (ort) => ({
    ort,
    // ort copies the bytes into wasm memory; hand it a view so the Data module stays untouched.
    session: await ort.InferenceSession.create(new Uint8Array(modelBytes), sessionOptions),
  }));
  const load = { sha256Ms, sessionMs: performance.now() - t1 };

  // ORT's wasm session runs one inference at a time; chain runs so concurrent requests queue.
  let queue: Promise<unknown> = Promise.resolve();
  const run = (tensor: Float32Array): Promise<ModelOutputs> => {
    if (tensor.length !== size) {
      return Promise.reject(new Error(`tensor has ${tensor.length} values, model wants ${size}`));
    }
    const done = queue.then(async () => {
      const feeds = { [input.name]: new ort.Tensor("float32", tensor, [1, channels, height, width]) };
      const result = await session.run(feeds);
      const embeddings: Record<string, Float32Array> = {};
      for (const [name, dimension] of Object.entries(dimensions)) {
        const out = result[name];
        if (!out || !(out.data instanceof Float32Array) || out.data.length !== dimension) {
          throw new Error(`model output ${name} is not a float32[${dimension}]`);
        }
        // Copy out of ORT's tensor so nothing aliases wasm memory after dispose.
        embeddings[name] = new Float32Array(out.data);
        out.dispose();
      }
      return embeddings;
    });
    queue = done.catch(() => undefined);
    return done;
  };
  return {
    manifest,
    load,
    run,
    async embed(tensor, name = output.name) {
      if (!(name in dimensions)) throw new Error(`the model has no output ${name}`);
      return (await run(tensor))[name]!;
    },
  };
}
