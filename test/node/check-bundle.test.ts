import { describe, expect, it } from "vitest";
import { MAX_GZIP_BYTES, parseUploadLine } from "../../scripts/check-bundle";

describe("npm run check:bundle", () => {
  it("reads wrangler's Total Upload line in bytes", () => {
    const log = "⛅️ wrangler 4.164.0\nTotal Upload: 17952.46 KiB / gzip: 6170.80 KiB\nYour Worker has access to ...";
    expect(parseUploadLine(log)).toEqual({ rawBytes: Math.round(17952.46 * 1024), gzipBytes: Math.round(6170.8 * 1024) });
    expect(parseUploadLine("no summary")).toBeNull();
  });

  it("limits the gzip bundle to 8 MiB: today's 6170.80 KiB passes, 8193 KiB would not", () => {
    expect(MAX_GZIP_BYTES).toBe(8 * 1024 * 1024);
    expect(parseUploadLine("Total Upload: 1 KiB / gzip: 6170.80 KiB")!.gzipBytes).toBeLessThanOrEqual(MAX_GZIP_BYTES);
    expect(parseUploadLine("Total Upload: 1 KiB / gzip: 8193.00 KiB")!.gzipBytes).toBeGreaterThan(MAX_GZIP_BYTES);
  });
});
