import { readFileSync } from "node:fs";
import { parse } from "plist";
import { describe, expect, it } from "vitest";
import { SHORTCUT_FILE } from "./build";
import { type Hooks, type ShortcutFile, multipart, runShortcut } from "./simulate";
import type { Plist } from "./wf";

// The committed file, parsed: the simulator replays what an iPhone would import.
const wf = parse(readFileSync(SHORTCUT_FILE, "utf8")) as Plist;
const jpeg: ShortcutFile = {
  name: "IMG_0001.jpeg",
  type: "image/jpeg",
  bytes: new Uint8Array(readFileSync(new URL("../test/fixtures/images/rice-bacterial.jpg", import.meta.url))),
};
const seen: string[] = [];
const hooks: Hooks = {
  resize: (file, p) => (seen.push(`resize ${String(p.WFImageResizeKey)} ${String(p.WFImageResizeLength)}`), file),
  convert: (file, p) => {
    seen.push(`convert ${String(p.WFImageFormat)} metadata=${String(p.WFImagePreserveMetadata)}`);
    if (file.type !== "image/jpeg") throw new Error("the simulator cannot transcode");
    return file;
  },
};
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=UTF-8" } });

describe("simulating the Shortcut", () => {
  it("POSTs the converted JPEG as the raw body with the key header, and shows `message`", async () => {
    seen.length = 0;
    const run = await runShortcut(wf, jpeg, ["https://cg.example.dev/", "k-123"], async () =>
      json(200, { verdict: "normal", message: "This looks like a rice leaf." }), hooks);
    expect(seen).toEqual(["resize Longest Edge 1024", "convert JPEG metadata=false"]);
    const [req] = run.requests;
    expect(req!.method).toBe("POST");
    expect(req!.url).toBe("https://cg.example.dev/v1/check?profile=rice"); // the trailing "/" was trimmed; the default crop
    expect(req!.headers.get("x-api-key")).toBe("k-123");
    expect(req!.headers.get("content-type")).toBe("image/jpeg");
    expect(new Uint8Array(await req!.arrayBuffer())).toEqual(jpeg.bytes);
    expect(run.shown).toEqual(["This looks like a rice leaf."]);
  });

  it("shows error.message when the worker answers with an error body, whatever the status", async () => {
    const run = await runShortcut(wf, jpeg, ["https://cg.example.dev", ""], async () =>
      json(401, { error: { code: "unauthorized", message: "Missing or wrong API key." } }), hooks);
    expect(run.requests[0]!.url).toBe("https://cg.example.dev/v1/check?profile=rice");
    expect(run.requests[0]!.headers.get("x-api-key")).toBe("");
    expect(run.shown).toEqual(["Missing or wrong API key."]);
  });

  it("says the URL is not cropgate when the answer is not its JSON", async () => {
    const run = await runShortcut(wf, jpeg, ["https://example.com", ""], async () =>
      new Response("<html>Not found</html>", { status: 404, headers: { "content-type": "text/html" } }), hooks);
    expect(run.shown).toEqual([
      "No verdict: the service at https://example.com did not answer like cropgate. Check the URL.",
    ]);
  });

  it("refuses a workflow whose variable points at a later or unknown action", async () => {
    const broken = structuredClone(wf) as any;
    const actions = broken.WFWorkflowActions as any[];
    // Make Convert Image read from an action that never ran.
    const convert = actions.find((a) => a.WFWorkflowActionIdentifier.endsWith(".image.convert"));
    convert.WFWorkflowActionParameters.WFInput.Value.OutputUUID = "00000000-0000-5000-8000-000000000000";
    await expect(runShortcut(broken, jpeg, ["https://x.dev", ""], async () => json(200, {}), hooks)).rejects.toThrow(
      /has not run before it/,
    );
  });

  it("with the crop answered \"ask\", lists GET /v1/profiles in a menu and checks against the one picked", async () => {
    const offered: unknown[] = [];
    const run = await runShortcut(
      wf,
      jpeg,
      ["https://cg.example.dev", "", "ask"],
      async (req) =>
        req.method === "GET"
          ? json(200, { defaultProfile: "rice", profiles: [{ profile: "rice", displayName: "rice leaf", current: null }, { profile: "maize", displayName: "maize leaf", current: null }] })
          : json(200, { verdict: "normal", message: "This looks like a maize leaf." }),
      { ...hooks, choose: (items, prompt) => (offered.push(items, prompt), items[1]) },
    );
    expect(run.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET https://cg.example.dev/v1/profiles",
      "POST https://cg.example.dev/v1/check?profile=maize",
    ]);
    expect(offered).toEqual([["rice", "maize"], "Which crop is in the photo?"]);
    expect(run.shown).toEqual(["This looks like a maize leaf."]);
  });

  it("writes multipart bodies the way Shortcuts' PKMultipartInputStream does", () => {
    const body = new TextDecoder().decode(
      multipart([["photo", { name: "IMG_0001.jpeg", type: "image/jpeg", bytes: new TextEncoder().encode("JPEG") }, 5]], "B"),
    );
    expect(body).toBe(
      '--B\r\nContent-Disposition: form-data; name="photo"; filename="IMG_0001.jpeg"\r\nContent-Type: image/jpeg\r\n\r\nJPEG\r\n--B--\r\n',
    );
  });
});
