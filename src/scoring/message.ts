import type { Score } from "./verdict";

/** Below this confidence the verdict is close to the threshold and the message says so. */
export const BORDERLINE_CONFIDENCE = 0.6;

/** One short line for a person holding a phone. `displayName` is the reference's, e.g. "rice leaf". */
export function verdictMessage(result: Pick<Score, "normal" | "confidence">, displayName: string): string {
  const what = withArticle(displayName);
  if (result.normal) {
    return result.confidence < BORDERLINE_CONFIDENCE
      ? `This probably shows ${what}, but only just; a closer, sharper photo would be safer.`
      : `This looks like ${what}.`;
  }
  return result.confidence < BORDERLINE_CONFIDENCE
    ? `Not sure this is ${what}. Retake the photo closer to the leaf, in good light.`
    : `This doesn't look like ${what}. Retake the photo of the ${displayName}, close up and in good light.`;
}

/** A refused photo that is clearly nearer to a lookalike: "This looks more like weeds than a rice leaf." */
export function lookalikeMessage(label: string, displayName: string): string {
  return `This looks more like ${label} than ${withArticle(displayName)}. Retake the photo of the ${displayName}, close up and in good light.`;
}

function withArticle(name: string): string {
  return /^[aeiou]/i.test(name) ? `an ${name}` : `a ${name}`;
}

/** The verdict line followed by how to retake the photo, when its quality has issues. */
export function withHint(message: string, hint: string): string {
  return hint ? `${message} ${hint}` : message;
}
