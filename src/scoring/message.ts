import type { QualityIssue } from "../image/quality";
import type { Verdict } from "./verdict";

/**
 * The words a person holding the phone reads: the API `message`, which the web page and the Shortcut show
 * as they are. Every sentence says what was checked and what to do next, never whether the plant is
 * healthy (that is the disease model's job). Written for any `displayName`: "rice", "rice plant",
 * "tomato leaf", "bok choy".
 */

// Names ending in one of these are things you count ("a rice plant"); others are crops named as a mass
// ("rice", "tomato", "bok choy") and read best without an article.
const COUNTED = new Set(["leaf", "plant", "seedling", "stem", "stalk", "panicle", "fruit", "tree", "bush", "vine", "flower", "pod", "cob", "tuber", "root", "head"]);

/** "rice" → "rice", "rice plant" → "a rice plant", "apple leaf" → "an apple leaf". */
export function cropPhrase(displayName: string): string {
  const name = displayName.trim();
  if (/^(a|an|the)\s/i.test(name)) return name;
  const last = name.toLowerCase().split(/\s+/).at(-1) ?? "";
  if (!COUNTED.has(last)) return name;
  return /^[aeiou]/i.test(name) ? `an ${name}` : `a ${name}`;
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What to do about a quality issue when it decides the answer: it leads a refusal or an unsure answer. */
export const QUALITY_LEAD: Record<QualityIssue, string> = {
  dark: "Too dark: retake the photo in daylight.",
  overexposed: "Too bright: retake it out of direct glare, or with the sun behind you.",
  blurry: "Blurred: hold the phone still and tap the leaf to focus, then retake it.",
  low_resolution: "Too small: send the original photo, not a thumbnail.",
};

/** The same advice as a gentle tip after a photo that passed: nothing needs redoing. */
export const QUALITY_TIP: Record<QualityIssue, string> = {
  dark: "Tip: the photo is dark; in daylight the disease check sees more.",
  overexposed: "Tip: the photo is very bright; out of direct glare the disease check sees more.",
  blurry: "Tip: the photo is a little blurred; hold still and tap the leaf to focus next time.",
  low_resolution: "Tip: the photo is small; the original photo gives the disease check more detail.",
};

export interface MessageInput {
  verdict: Verdict;
  displayName: string;
  /** Label of the lookalike a refused photo is clearly nearer to ("weeds in a paddy"), if any. */
  lookalike?: string | null;
  issues?: readonly QualityIssue[];
}

/** The one message of a `/v1/check` answer. */
export function checkMessage({ verdict, displayName, lookalike, issues = [] }: MessageInput): string {
  const crop = cropPhrase(displayName);
  if (verdict === "normal") return join(`${capitalised(displayName.trim())} photo: ready for the disease check.`, ...issues.map((i) => QUALITY_TIP[i]));
  const nearer = lookalike ? ` — it looks more like ${lookalike}` : "";
  // A quality problem is the likeliest reason for a refusal: say it first, then what the photo looks like as it is.
  if (issues.length > 0) {
    const headline = verdict === "uncertain" ? `Not sure this photo shows ${crop}.` : `This photo doesn't look like ${crop}${nearer}.`;
    return join(...issues.map((i) => QUALITY_LEAD[i]), headline);
  }
  if (verdict === "uncertain") return `Not sure this is ${crop}: fill the frame with one leaf, in daylight.`;
  return `This doesn't look like ${crop}${nearer}. Take a photo of the ${displayName.trim()} close up, in good light.`;
}

/** The message of a `/v1/identify` answer: the crop it passes, the nearest it might be, or none. */
export function identifyMessage(
  best: { displayName: string } | null,
  candidates: readonly { displayName: string; verdict: Verdict }[],
  issues: readonly QualityIssue[] = [],
): string {
  if (best) return checkMessage({ verdict: "normal", displayName: best.displayName, issues });
  const unsure = candidates.find((c) => c.verdict === "uncertain");
  const leads = issues.map((i) => QUALITY_LEAD[i]);
  if (unsure) {
    const closest = cropPhrase(unsure.displayName);
    return issues.length > 0
      ? join(...leads, `Not sure which crop this photo shows (closest: ${closest}).`)
      : `Not sure which crop this is (closest: ${closest}): fill the frame with one leaf, in daylight.`;
  }
  const names = candidates.slice(0, 5).map((p) => p.displayName.trim()).join(", ");
  return issues.length > 0
    ? join(...leads, `This photo doesn't look like any crop checked here (${names}).`)
    : `This doesn't look like any crop checked here (${names}). Take a photo of the crop close up, in good light.`;
}

const join = (...sentences: string[]) => sentences.join(" ");
