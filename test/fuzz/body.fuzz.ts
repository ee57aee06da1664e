// Jazzer.js entry (`npm run fuzz -- body`): the check routes' body parser (raw / multipart / JSON base64).
import { fuzzBody } from "./targets";

export function fuzz(data: Buffer): Promise<void> {
  return fuzzBody(data);
}
