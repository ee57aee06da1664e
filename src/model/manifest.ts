import { z } from "zod";
import { PreprocessingSchema } from "../image/preprocessing";

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, "a lower-case hex sha256");
const PositiveInt = z.number().int().positive();

const OutputSchema = z.object({
  name: z.string().min(1),
  shape: z.tuple([z.string(), PositiveInt]),
  dtype: z.literal("float32"),
  normalized: z.boolean(),
  description: z.string().optional(),
});

/** `models/manifest.json` (docs/contracts.md §1). Pure: the CLI imports it in Node too. */
export const ManifestSchema = z.object({
  schema: z.literal("cropgate.manifest/v1"),
  model: z.object({
    id: z.string().min(1),
    file: z.string().min(1),
    sha256: Hex64,
    bytes: PositiveInt,
    opset: PositiveInt,
    input: z.object({
      name: z.string().min(1),
      shape: z.tuple([z.string(), z.literal(3), PositiveInt, PositiveInt]),
      dtype: z.literal("float32"),
    }),
    /** The primary output (`embedding`): what a reference without an `output` field scores in. */
    output: OutputSchema,
    /**
     * Every output the graph has, the primary one included (e.g. also `features`, the pooled backbone
     * vector enrolment uses). Absent in older manifests: then the primary output is the only one.
     */
    outputs: z.array(OutputSchema).min(1).optional(),
    quantization: z.record(z.string(), z.unknown()).optional(),
    /**
     * ORT session config entries the model was measured with (e.g. `session.disable_quant_qdq: "1"` to fold a
     * weight-only model's DequantizeLinear nodes at load). Worker and CLI both apply them.
     */
    sessionConfig: z.record(z.string(), z.string()).default({}),
  }),
  preprocessing: PreprocessingSchema,
  training: z.record(z.string(), z.unknown()).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** The embedding dimension of the primary output. */
export function embeddingDimension(manifest: Manifest): number {
  return manifest.model.output.shape[1];
}

/** Every output of the model: name -> dimension (the primary output first). */
export function outputDimensions(manifest: Manifest): Record<string, number> {
  const out: Record<string, number> = { [manifest.model.output.name]: manifest.model.output.shape[1] };
  for (const o of manifest.model.outputs ?? []) out[o.name] = o.shape[1];
  return out;
}

/**
 * ORT `extra` session config entries: the manifest's `sessionConfig`, then an optional
 * `session.disable_quant_qdq` override (measurement tools only). Shared by the worker and the CLI so both
 * open the model as the pipeline measured it.
 */
export function sessionConfigEntries(manifest: Manifest, disableQuantQdq?: boolean): Record<string, string> {
  return {
    ...manifest.model.sessionConfig,
    ...(disableQuantQdq === undefined ? {} : { "session.disable_quant_qdq": disableQuantQdq ? "1" : "0" }),
  };
}
