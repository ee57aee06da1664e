// Docs that cannot fall behind the code (issue 14): the checker on planted stale strings, then the real
// README.md, docs/*.md and shortcuts/README.md against models/manifest.json, models/references/rice.json
// and what `npm run check:bundle` measures now.
import { describe, expect, it } from "vitest";
import { MAX_GZIP_BYTES, dryRunBundle } from "../../scripts/check-bundle";
import { formatMarker, parseBlocks, parseCommands } from "../../scripts/docs/blocks";
import { type Facts, findDrift } from "../../scripts/docs/drift";
import { checkedDocs, shippedFacts } from "../../scripts/docs/facts";

const REPO = new URL("../../", import.meta.url).pathname;

/** Made-up facts, so the planted strings below are stale by construction and not by today's model. */
const facts: Facts = {
  modelId: "cropgate-mnv2-arcface-160-v3",
  modelSha256: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12",
  inputSize: 160,
  profile: "rice",
  thresholds: [0.7123456789, 0.65],
  stamp: { model: "ab12cd34ef56", reference: "0123456789ab" },
  bundle: { rawBytes: 18311.69 * 1024, gzipBytes: 6431.96 * 1024, limitBytes: MAX_GZIP_BYTES },
};
const drift = (text: string, f: Facts = facts) => findDrift([{ file: "doc.md", text }], f).map((d) => d.what);
const stamped = (body: string, stamp = facts.stamp) => `<!-- docs:examples model=${stamp.model} reference=${stamp.reference} -->\n\`\`\`console\n${body}\n\`\`\``;

describe("the drift checker", () => {
  it("fails on a planted stale model hash, and passes the manifest's (any prefix of 8+ digits)", () => {
    expect(drift("Measured with model `f0bf1f4c…` today.")).toEqual([expect.stringMatching(/^model hash f0bf1f4c is not the manifest's/)]);
    expect(drift('"sha256":"f0bf1f4c2f87592cdc33ab3ac39c3bb2534dce148f53f622472a472730ba4c56"')).toHaveLength(1);
    expect(drift("Measured with model `ab12cd34…`, sha256 ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12.")).toEqual([]);
    // Not model hashes: a version id's random part, plain numbers, words.
    expect(drift("version 20261127T191615693Z-26de9418d865, 20261127, 0.9847374414269037, deadline")).toEqual([]);
  });

  it("fails on another model id and another input size", () => {
    expect(drift("the model `cropgate-mnv2-arcface-128` was shipped")).toEqual([expect.stringMatching(/model id cropgate-mnv2-arcface-128/)]);
    expect(drift("the model `cropgate-mnv2-arcface-160-v3`.")).toEqual([]);
    expect(drift("Pillow's BOX filter to 128×128 on float channels")).toEqual([expect.stringMatching(/input size 128/)]);
    expect(drift("3.3 MB, 128-px input")).toHaveLength(1);
    expect(drift("Resize the box to 160×160, a 160-px input")).toEqual([]);
  });

  it("fails on a threshold that is not the shipped reference's, at the digits shown", () => {
    expect(drift("Threshold **0.6711**, placed on held-out scores")).toEqual([expect.stringMatching(/threshold 0\.6711 is not/)]);
    expect(drift("Threshold **0.7123**, and the band's lower threshold 0.6500.")).toEqual([]);
    expect(drift('{"verdict":"normal","profile":"rice","threshold":0.7559}')).toHaveLength(1);
    // Another profile's answer may have its own threshold.
    expect(drift('{"profile":"tomato","threshold":0.2604}')).toEqual([]);
    const json = JSON.stringify({ profiles: [{ profile: "rice", threshold: 0.7559 }, { profile: "tomato", threshold: 0.26 }] }, null, 2);
    expect(drift(stamped(`$ curl -s …\n${json}`))).toEqual(['"threshold": 0.7559 is not the shipped reference\'s']);
  });

  it("fails on a bundle size more than 2 % off check:bundle's, raw and gzip apart; the 8 MiB limit is not a size", () => {
    expect(drift("The bundle is 6,170.8 KiB gzip (6.03 MiB).")).toHaveLength(2);
    expect(drift("The bundle is 6,431.9 KiB gzip (6.28 MiB); CI fails over 8 MiB gzip.")).toEqual([]);
    expect(drift("Total Upload: 18311.69 KiB / gzip: 6431.96 KiB")).toEqual([]);
    expect(drift("bundle: 17.52 MiB raw, 6.28 MiB gzip")).toEqual([expect.stringMatching(/17\.52 MiB raw/)]);
    expect(drift("6.01 MiB gzip", { ...facts, bundle: undefined })).toEqual([]); // not measured: not checked
  });

  it("fails on a console example not recorded, or recorded for another model or reference", () => {
    expect(drift("```console\n$ curl -s http://127.0.0.1:8787/health\n{}\n```")).toEqual([expect.stringMatching(/not recorded/)]);
    expect(drift(stamped("$ curl -s http://127.0.0.1:8787/health\n{}"))).toEqual([]);
    expect(drift(stamped("$ curl …\n{}", { model: "f0bf1f4c2f87", reference: "0123456789ab" }))).toEqual([
      expect.stringMatching(/recorded with model f0bf1f4c2f87 .* run npm run docs:examples/),
    ]);
    expect(drift(stamped("$ curl …\n{}", { model: "ab12cd34ef56", reference: "ffffffffffff" }))).toEqual([
      expect.stringMatching(/reference ffffffffffff, not today's/),
    ]);
  });

  it("leaves alone what a doc marks as being about something else, and wants a reason", () => {
    const history = "<!-- drift:off history: the 128-px model f0bf1f4c -->\nMeasured with `f0bf1f4c…`, threshold 0.7559, 128-px input.\n<!-- drift:on -->";
    expect(drift(history)).toEqual([]);
    expect(drift(`${history}\nToday: f0bf1f4c.`)).toHaveLength(1); // after drift:on, checked again
    expect(drift("<!-- drift:off -->\nf0bf1f4c\n<!-- drift:on -->")).toEqual(
      expect.arrayContaining([expect.stringMatching(/needs a reason/), expect.stringMatching(/model hash f0bf1f4c/)]),
    );
  });
});

describe("the example blocks", () => {
  it("reads commands, continuation lines and outputs, and writes the marker back", () => {
    const commands = parseCommands(["$ curl -X POST x \\", "    -H y", "{}", "", "$ echo $?", "1"]);
    expect(commands).toEqual([
      { text: "curl -X POST x \\\n    -H y", output: ["{}", ""] },
      { text: "echo $?", output: ["1"] },
    ]);
    const [block] = parseBlocks("<!-- docs:examples json needs=../x -->\n```console\n$ a\nb\n```\n");
    expect(block!.options).toEqual(new Map([["json", ""], ["needs", "../x"]]));
    expect(formatMarker(new Map([["json", ""], ["model", "ab"]]))).toBe("<!-- docs:examples json model=ab -->");
  });
});

describe("README.md, docs/*.md and shortcuts/README.md", () => {
  it("cite only the shipped model, reference, input size and bundle size, with examples recorded for them", { timeout: 120_000 }, () => {
    const { rawBytes, gzipBytes } = dryRunBundle();
    const found = findDrift(checkedDocs(REPO), shippedFacts(REPO, { rawBytes, gzipBytes, limitBytes: MAX_GZIP_BYTES }));
    // One line per finding, so a failure says where to look (and `npm run docs:examples` fixes the examples).
    expect(found.map((d) => `${d.file}:${d.line}: ${d.what}`)).toEqual([]);
  });
});
