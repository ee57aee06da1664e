// The quality thresholds against the goals, on the shared photo set (skipped, saying why, when
// it is absent). A deterministic quarter of the photos keeps it quick; docs/quality.md has the full-set
// figures from `npx tsx bench/quality.ts`.
import { describe, expect, it } from "vitest";
import { dataDir, measureAll, ricePhotos, summarize } from "../../bench/quality";

const data = dataDir();

describe("quality thresholds on the shared rice photos", () => {
  it("flag ≤ 2 % of real photos and catch ≥ 90 % of each kind of degraded copy", (ctx) => {
    if (!data) ctx.skip("no shared data at ../shared/data (or CROPGATE_DATA): the calibration photos are not in the repository");
    const photos = ricePhotos(data!).filter((_, i) => i % 4 === 0);
    const s = summarize(measureAll(photos));
    expect(s.photos).toBeGreaterThan(150);
    expect(s.flaggedOriginals / s.photos).toBeLessThanOrEqual(0.02);
    for (const v of ["blur", "dark", "bright", "small"] as const) expect(s.caught[v] / s.photos, v).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});
