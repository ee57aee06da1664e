// Jazzer.js entry (`npm run fuzz -- jpeg`): the JPEG header reader, the decoder at every scale,
// orientation and imageToTensor on one fuzzed file. The invariants live in targets.ts.
import { fuzzJpeg } from "./targets";

export function fuzz(data: Buffer): void {
  fuzzJpeg(data);
}
