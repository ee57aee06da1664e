import { z } from "zod";

/**
 * The manifest's `preprocessing` block (docs/contracts.md §2). Only the one recipe this module implements
 * is accepted: a manifest asking for anything else must fail loudly at load, not silently preprocess
 * differently from training.
 */
export const PreprocessingSchema = z.object({
  id: z.literal("cropgate-preprocess-v1"),
  orientation: z.literal("exif"),
  colorSpace: z.literal("RGB"),
  crop: z.object({ mode: z.literal("center-square") }),
  resize: z.object({
    width: z.number().int().min(1).max(1024),
    height: z.number().int().min(1).max(1024),
    filter: z.literal("box"),
    antialias: z.literal(true),
    reference: z.string().optional(),
  }),
  scale: z.object({
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  }),
  layout: z.literal("NCHW"),
  dtype: z.literal("float32"),
});

export type Preprocessing = z.infer<typeof PreprocessingSchema>;

/** The recipe as docs/contracts.md writes it; handy for tests and tools that have no manifest at hand. */
export const DEFAULT_PREPROCESSING: Preprocessing = {
  id: "cropgate-preprocess-v1",
  orientation: "exif",
  colorSpace: "RGB",
  crop: { mode: "center-square" },
  resize: {
    width: 128,
    height: 128,
    filter: "box",
    antialias: true,
    reference: "Pillow Image.resize(resample=BOX, box=crop) on float32 ('F') channels",
  },
  scale: { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
  layout: "NCHW",
  dtype: "float32",
};
