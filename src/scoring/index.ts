export { cosine, l2Normalize, norm } from "./cosine";
export { lookalikeMessage, verdictMessage, withHint, BORDERLINE_CONFIDENCE } from "./message";
export { confidence, scoreEmbedding, DEFAULT_SPREAD, type Score, type ScoringReference, type Verdict } from "./verdict";
export { DEFAULT_OUTPUT, outputFor, referenceOutput } from "./outputs";
export { LOOKALIKE_MARGIN, LOOKALIKE_RUNNER_UP_MARGIN, nearestLookalike, type LookalikeMatch } from "./lookalike";
