// TEMPORARY until src/image/ exports PreprocessingSchema; delete and import from "../image" then.
import { z } from "zod";
export const PreprocessingSchema = z.looseObject({ id: z.string() });
