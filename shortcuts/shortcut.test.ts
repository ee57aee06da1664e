import { readFileSync } from "node:fs";
import { parse } from "plist";
import { describe, expect, it } from "vitest";
import { BEGIN, END, README_FILE, SHORTCUT_FILE, shortcutXml, withSteps } from "./build";
import { canonical, uuidFor } from "./wf";
import { workflow } from "./cropgate";

type Params = Record<string, any>;
type Action = { WFWorkflowActionIdentifier: string; WFWorkflowActionParameters: Params };

const committed = readFileSync(SHORTCUT_FILE, "utf8");
const wf = parse(committed) as Params;
const actions = wf.WFWorkflowActions as Action[];
const kinds = actions.map((a) => a.WFWorkflowActionIdentifier);
const params = (i: number) => actions[i]!.WFWorkflowActionParameters;
const byUuid = (uuid: string) => actions.findIndex((a) => a.WFWorkflowActionParameters.UUID === uuid);
/** The index of the action a single-variable parameter points at (-1: Shortcut Input). */
const source = (p: Params): number => {
  const ref =
    p.WFSerializationType === "WFTextTokenAttachment" ? p.Value : Object.values(p.Value.attachmentsByRange)[0];
  return ref.Type === "ExtensionInput" ? -1 : byUuid(ref.OutputUUID);
};

// What README.md tells a person to add, by title, and the identifier each title is in a plist.
const TITLE_TO_ID: Record<string, string> = {
  Text: "is.workflow.actions.gettext",
  "Replace Text": "is.workflow.actions.text.replace",
  "Resize Image": "is.workflow.actions.image.resize",
  "Convert Image": "is.workflow.actions.image.convert",
  "Get Contents of URL": "is.workflow.actions.downloadurl",
  "Get Dictionary from Input": "is.workflow.actions.detect.dictionary",
  "Get Dictionary Value": "is.workflow.actions.getvalueforkey",
  If: "is.workflow.actions.conditional",
  Otherwise: "is.workflow.actions.conditional",
  "End If": "is.workflow.actions.conditional",
  "Show Result": "is.workflow.actions.showresult",
  "Repeat with Each": "is.workflow.actions.repeat.each",
  "End Repeat": "is.workflow.actions.repeat.each",
  "Choose from List": "is.workflow.actions.choosefromlist",
  "Set Variable": "is.workflow.actions.setvariable",
};

describe("the committed Shortcut (golden file)", () => {
  it("is exactly what `npm run shortcut` generates now", () => {
    // If this fails after an intended change: run `npm run shortcut`, review the diff, commit it.
    expect(committed).toBe(shortcutXml());
  });

  it("round-trips: the parsed file is the workflow the generator defines", () => {
    expect(wf).toEqual(canonical(workflow()));
  });

  it("regenerates byte-identically (no timestamps or random ids)", () => {
    expect(shortcutXml()).toBe(shortcutXml());
    expect(committed).not.toMatch(/<date>|<data>/);
  });

  it("derives UUIDs from names, UUID-shaped and distinct", async () => {
    expect(await uuidFor("x")).toBe(await uuidFor("x"));
    expect(await uuidFor("x")).not.toBe(await uuidFor("y"));
    const ids = actions.map((a) => a.WFWorkflowActionParameters.UUID).filter(Boolean);
    for (const id of ids) expect(id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("the Shortcut's structure", () => {
  it("is offered in the share sheet for images", () => {
    expect(wf.WFWorkflowTypes).toContain("ActionExtension");
    expect(wf.WFWorkflowInputContentItemClasses).toContain("WFImageContentItem");
    expect(wf.WFWorkflowHasShortcutInputVariables).toBe(true);
    // Run without input (from the Shortcuts app), it asks for a photo.
    expect(wf.WFWorkflowNoInputBehavior).toEqual({
      Name: "WFWorkflowNoInputBehaviorAskForInput",
      Parameters: { ItemClass: "WFPhotoMediaContentItem", SerializedParameters: {} },
    });
  });

  it("has the README's actions, in the README's order", () => {
    const readme = readFileSync(README_FILE, "utf8");
    expect(readme, "README.md's list is stale: run npm run shortcut").toBe(withSteps(readme));
    const block = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END));
    const titles = [...block.matchAll(/^(\d+)\. \*\*([^*]+)\*\*/gm)];
    expect(titles.map((m) => Number(m[1]))).toEqual(actions.map((_, i) => i + 1));
    expect(titles.map((m) => TITLE_TO_ID[m[2]!] ?? m[2])).toEqual(kinds);
    expect(kinds).toEqual([
      "is.workflow.actions.gettext",
      "is.workflow.actions.text.replace",
      "is.workflow.actions.gettext",
      // the crop: a profile typed at import, or "ask" → the worker's list in a menu
      "is.workflow.actions.gettext",
      "is.workflow.actions.conditional",
      "is.workflow.actions.downloadurl",
      "is.workflow.actions.getvalueforkey",
      "is.workflow.actions.repeat.each",
      "is.workflow.actions.getvalueforkey",
      "is.workflow.actions.repeat.each",
      "is.workflow.actions.choosefromlist",
      "is.workflow.actions.setvariable",
      "is.workflow.actions.conditional",
      "is.workflow.actions.setvariable",
      "is.workflow.actions.conditional",
      "is.workflow.actions.image.resize",
      "is.workflow.actions.image.convert",
      "is.workflow.actions.downloadurl",
      "is.workflow.actions.detect.dictionary",
      "is.workflow.actions.getvalueforkey",
      "is.workflow.actions.conditional",
      "is.workflow.actions.getvalueforkey",
      "is.workflow.actions.showresult",
      "is.workflow.actions.conditional",
      "is.workflow.actions.getvalueforkey",
      "is.workflow.actions.conditional",
      "is.workflow.actions.showresult",
      "is.workflow.actions.conditional",
      "is.workflow.actions.showresult",
      "is.workflow.actions.conditional",
      "is.workflow.actions.conditional",
    ]);
  });

  it("asks for the service URL, the API key and the crop on import, into the three Text actions", () => {
    const q = wf.WFWorkflowImportQuestions as Params[];
    expect(q).toHaveLength(3);
    for (const question of q) {
      expect(question.Category).toBe("Parameter");
      expect(question.ParameterKey).toBe("WFTextActionText");
      expect(kinds[question.ActionIndex]).toBe("is.workflow.actions.gettext");
    }
    expect(q[0]!.Text).toMatch(/URL/);
    expect(q[1]!.Text).toMatch(/API key/);
    expect(q[2]!.Text).toMatch(/crop profile.*"ask"/);
    expect(q[2]!.DefaultValue).toBe("rice");
    // The URL answer feeds the request URL, the key answer the X-API-Key header, the crop ?profile=.
    const download = kinds.lastIndexOf("is.workflow.actions.downloadurl");
    const url = params(download).WFURL;
    expect(url.Value.string).toBe("\uFFFC/v1/check?profile=\uFFFC");
    expect(Object.values(url.Value.attachmentsByRange)[1]).toEqual({ Type: "Variable", VariableName: "Crop" });
    const replace = source(url);
    expect(kinds[replace]).toBe("is.workflow.actions.text.replace");
    expect(params(replace).WFReplaceTextRegularExpression).toBe(true);
    expect(new RegExp(params(replace).WFReplaceTextFind).test("https://x.dev/")).toBe(true);
    expect(source(params(replace).WFInput)).toBe(q[0]!.ActionIndex);
    const headers = params(download).WFHTTPHeaders.Value.WFDictionaryFieldValueItems as Params[];
    expect(headers).toHaveLength(1);
    expect(headers[0]!.WFKey.Value.string).toBe("X-API-Key");
    expect(source(headers[0]!.WFValue)).toBe(q[1]!.ActionIndex);
  });

  it("resizes the shared image, converts it to JPEG without metadata, and POSTs it as the file body", () => {
    const resize = kinds.indexOf("is.workflow.actions.image.resize");
    expect(source(params(resize).WFImage)).toBe(-1); // the Shortcut Input
    expect(params(resize).WFImageResizeKey).toBe("Longest Edge");
    expect(params(resize).WFImageResizeLength).toBe("1024");

    const convert = kinds.indexOf("is.workflow.actions.image.convert");
    expect(source(params(convert).WFInput)).toBe(resize);
    expect(params(convert).WFImageFormat).toBe("JPEG");
    expect(params(convert).WFImagePreserveMetadata).toBe(false);

    const download = kinds.lastIndexOf("is.workflow.actions.downloadurl");
    expect(params(download).WFHTTPMethod).toBe("POST");
    expect(params(download).WFHTTPBodyType).toBe("File");
    expect(source(params(download).WFRequestVariable)).toBe(convert);
  });

  it("reads the JSON and shows error.message on an error body, message otherwise", () => {
    const download = kinds.lastIndexOf("is.workflow.actions.downloadurl");
    const dict = kinds.indexOf("is.workflow.actions.detect.dictionary");
    expect(source(params(dict).WFInput)).toBe(download);

    // Each If's actions by GroupingIdentifier: [If, Otherwise, End If] indices.
    const groups = new Map<string, number[]>();
    actions.forEach((a, i) => {
      if (!a.WFWorkflowActionIdentifier.endsWith(".conditional")) return;
      const g = params(i).GroupingIdentifier as string;
      groups.set(g, [...(groups.get(g) ?? []), i]);
    });
    // The first If is the crop choice (its own test); the answer's two follow.
    const blocks = [...groups.values()].slice(1);
    expect(blocks).toHaveLength(2);
    for (const b of blocks) expect(b.map((i) => params(i).WFControlFlowMode)).toEqual([0, 1, 2]);
    const showsBetween = (from: number, to: number) =>
      actions.flatMap((a, i) => (i > from && i < to && a.WFWorkflowActionIdentifier.endsWith(".showresult") ? [i] : []));

    // Outer If: the answer has an `error` → show error.message.
    const [ifAt, elseAt, endAt] = blocks[0] as [number, number, number];
    expect(params(ifAt).WFCondition).toBe(100); // has any value
    const error = source(params(ifAt).WFInput.Variable);
    expect(params(error).WFDictionaryKey).toBe("error");
    expect(source(params(error).WFInput)).toBe(dict);
    const [errorShow, ...more] = showsBetween(ifAt, elseAt);
    expect(more).toEqual([]);
    const errorMessage = source(params(errorShow!).Text);
    expect(params(errorMessage).WFDictionaryKey).toBe("message");
    expect(source(params(errorMessage).WFInput)).toBe(error);

    // Otherwise, nested: show `message` when there is one, else say the URL is not cropgate.
    const [innerIf, innerElse, innerEnd] = blocks[1] as [number, number, number];
    expect(innerIf).toBeGreaterThan(elseAt);
    expect(innerEnd).toBeLessThan(endAt);
    expect(params(innerIf).WFCondition).toBe(100);
    const message = source(params(innerIf).WFInput.Variable);
    expect(params(message).WFDictionaryKey).toBe("message");
    expect(source(params(message).WFInput)).toBe(dict);
    expect(showsBetween(innerIf, innerElse).map((i) => source(params(i).Text))).toEqual([message]);
    const [fallback] = showsBetween(innerElse, innerEnd);
    expect(params(fallback!).Text.Value.string).toMatch(/did not answer like cropgate/);
  });

  it("sets the Crop variable to the import answer, or, when it is \"ask\", to the profile picked from GET /v1/profiles", () => {
    const [ifAt, elseAt, endAt] = actions.flatMap((a, i) => (a.WFWorkflowActionIdentifier.endsWith(".conditional") ? [i] : [])) as [number, number, number];
    expect(params(ifAt)).toMatchObject({ WFCondition: 4, WFConditionalActionString: "ask", WFControlFlowMode: 0 });
    const setting = source(params(ifAt).WFInput.Variable);
    expect(setting).toBe((wf.WFWorkflowImportQuestions as Params[])[2]!.ActionIndex);
    const list = kinds.indexOf("is.workflow.actions.downloadurl");
    expect(list).toBeGreaterThan(ifAt);
    expect(params(list).WFHTTPMethod).toBe("GET");
    expect(params(list).WFURL.Value.string).toBe("\uFFFC/v1/profiles");
    const choose = kinds.indexOf("is.workflow.actions.choosefromlist");
    expect(choose).toBeLessThan(elseAt);
    const sets = kinds.flatMap((k, i) => (k.endsWith(".setvariable") ? [i] : []));
    expect(sets.map((i) => params(i).WFVariableName)).toEqual(["Crop", "Crop"]);
    expect(source(params(sets[0]!).WFInput)).toBe(choose);
    expect(sets[1]!).toBeGreaterThan(elseAt);
    expect(sets[1]!).toBeLessThan(endAt);
    expect(source(params(sets[1]!).WFInput)).toBe(setting);
  });

  it("refers only to actions that come earlier", () => {
    actions.forEach((a, i) => {
      const refs = JSON.stringify(a.WFWorkflowActionParameters).matchAll(/"OutputUUID":"([^"]+)"/g);
      for (const [, uuid] of refs) {
        const at = byUuid(uuid!);
        expect(at, `action ${i} refers to ${uuid}`).toBeGreaterThanOrEqual(0);
        expect(at).toBeLessThan(i);
      }
    });
  });
});
