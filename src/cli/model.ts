import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { PreprocessingSchema, type Preprocessing } from "../image";
import { ManifestSchema, type Manifest, outputDimensions, sessionConfigEntries } from "../model/manifest";
import { CliError, ExitCode } from "./cli-error";

/** The repository's `models/` folder: the CLI embeds with the very files the worker bundles. */
export const MODELS_DIR = fileURLToPath(new URL("../../models/", import.meta.url));

export async function loadManifest(modelsDir = MODELS_DIR): Promise<Manifest> {
  const path = `${modelsDir}manifest.json`;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new CliError(ExitCode.Failure, `cannot read the model manifest ${path}: ${(err as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new CliError(ExitCode.Failure, `the model manifest ${path} is invalid: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** A batch embedder over onnxruntime-node. Embeddings come back as the graph returns them (unnormalised). */
export interface NodeEmbedder {
  readonly manifest: Manifest;
  /** The manifest's recipe, checked against the one src/image implements. */
  readonly preprocessing: Preprocessing;
  readonly inputSize: number;
  /** The model output this embedder returns (NodeEmbedderOptions.output, default the primary one). */
  readonly output: string;
  readonly dimension: number;
  embedBatch(tensors: readonly Float32Array[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export interface NodeEmbedderOptions {
  modelsDir?: string;
  /** The manifest, when the caller has already read it (the one in modelsDir). */
  manifest?: Manifest;
  threads?: number;
  /** Which model output to return (`embedding`, `features`, ...); default the primary output. */
  output?: string;
}

export async function loadNodeEmbedder(options: NodeEmbedderOptions = {}): Promise<NodeEmbedder> {
  const modelsDir = options.modelsDir ?? MODELS_DIR;
  const manifest = options.manifest ?? (await loadManifest(modelsDir));
  const recipe = PreprocessingSchema.safeParse(manifest.preprocessing);
  if (!recipe.success) {
    throw new CliError(ExitCode.Failure, `models/manifest.json asks for a preprocessing src/image does not implement: ${recipe.error.message}`);
  }
  const modelPath = `${modelsDir}${manifest.model.file}`;
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (err) {
    throw new CliError(ExitCode.Failure, `cannot read the model ${modelPath}: ${(err as Error).message}`);
  }
  const sha = createHash("sha256").update(bytes).digest("hex");
  if (sha !== manifest.model.sha256) {
    throw new CliError(
      ExitCode.Failure,
      `the model ${modelPath} (sha256 ${sha}) does not match models/manifest.json (${manifest.model.sha256})`,
    );
  }
  // Same session options as the worker's (src/model/session.ts), from the manifest's sessionConfig.
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: "all",
    intraOpNumThreads: options.threads ?? 1,
    extra: sessionConfigEntries(manifest),
  });
  const { input } = manifest.model;
  const [channels, height, width] = input.shape.slice(1) as [number, number, number];
  const inputSize = channels * height * width;
  const dimensions = outputDimensions(manifest);
  const output = { name: options.output ?? manifest.model.output.name };
  const dimension = dimensions[output.name];
  if (dimension === undefined) {
    await session.release();
    throw new CliError(ExitCode.Usage, `the model has no output "${output.name}" (it has: ${Object.keys(dimensions).join(", ")})`);
  }
  return {
    manifest,
    preprocessing: recipe.data,
    inputSize,
    output: output.name,
    dimension,
    async embedBatch(tensors) {
      if (tensors.length === 0) return [];
      const batch = new Float32Array(tensors.length * inputSize);
      tensors.forEach((t, i) => {
        if (t.length !== inputSize) throw new Error(`tensor has ${t.length} values, model wants ${inputSize}`);
        batch.set(t, i * inputSize);
      });
      const feeds = { [input.name]: new ort.Tensor("float32", batch, [tensors.length, channels, height, width]) };
      const result = await session.run(feeds);
      const out = result[output.name];
      for (const [name, t] of Object.entries(result)) if (name !== output.name) t.dispose();
      if (!out || !(out.data instanceof Float32Array) || out.data.length !== tensors.length * dimension) {
        throw new Error(`model output ${output.name} is not float32[${tensors.length}, ${dimension}]`);
      }
      const data = out.data;
      return tensors.map((_, i) => data.slice(i * dimension, (i + 1) * dimension));
    },
    release: () => session.release(),
  };
}
