export { cosine, l2Normalize, norm } from "./cosine";
export { checkMessage, cropPhrase, identifyMessage, QUALITY_LEAD, QUALITY_TIP, type MessageInput } from "./message";
export {
  confidence,
  referenceScore,
  scoreEmbedding,
  verdictOf,
  DEFAULT_SPREAD,
  SCORE_KINDS,
  VERDICTS,
  type Score,
  type ScoreKind,
  type ScoringReference,
  type Verdict,
} from "./verdict";
export { DEFAULT_OUTPUT, outputFor, referenceOutput } from "./outputs";
export { LOOKALIKE_MARGIN, LOOKALIKE_RUNNER_UP_MARGIN, nearestLookalike, type LookalikeMatch } from "./lookalike";
