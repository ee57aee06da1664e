/**
 * The pieces of Apple's Shortcuts file format (a "WFWorkflow" property list) that cropgate's
 * Shortcut uses, as pure functions. Shapes were checked against public sources, not guessed:
 * - Cherri's compiler test fixtures, electrikmilk/cherri `examples/*_expected.plist`
 *   (`ActionOutput` attachments, `WFTextTokenString` with `attachmentsByRange`, conditionals with
 *   `GroupingIdentifier`/`WFControlFlowMode` 0/1/2 and `WFCondition` 100 = "has any value",
 *   `WFWorkflowImportQuestions` entries with `ActionIndex`/`Category`/`ParameterKey`/`Text`);
 * - Cherri's action definitions `actions/web.cherri`, `actions/images.cherri`,
 *   `actions/scripting.cherri` (parameter keys of downloadurl, image.resize, image.convert,
 *   detect.dictionary, getvalueforkey);
 * - generators that publish working share-sheet Shortcuts on GitHub (`{"Type": "ExtensionInput"}`
 *   for Shortcut Input; `WFDictionaryFieldValue` with `WFDictionaryFieldValueItems`, `WFItemType` 0
 *   = text, for headers).
 */
export type Plist = string | number | boolean | Plist[] | { [key: string]: Plist };
export type Params = { [key: string]: Plist };
export type Action = { WFWorkflowActionIdentifier: string; WFWorkflowActionParameters: Params };

/** What a variable token points at: the output of an earlier action, or the Shortcut's input. */
export type Ref =
  | { Type: "ActionOutput"; OutputUUID: string; OutputName: string }
  | { Type: "ExtensionInput" }
  /** A named variable (Set Variable), or a magic one such as "Repeat Item". */
  | { Type: "Variable"; VariableName: string };

/** The object replacement character that stands for a variable inside a text field. */
export const TOKEN = "\uFFFC";

/**
 * A stable, UUID-shaped id derived from a name: the file must regenerate byte-identically, and
 * Shortcuts only needs the ids to be unique within the file and upper-case hex. Web Crypto (not
 * node:crypto) so the same definition also runs inside workerd for the replay tests.
 */
export async function uuidFor(name: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(`cropgate.shortcut/${name}`));
  const h = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
  // Shape it like an RFC 4122 name-based (v5) UUID.
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16).toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function action(id: string, params: Params): Action {
  return { WFWorkflowActionIdentifier: `is.workflow.actions.${id}`, WFWorkflowActionParameters: params };
}

export function output(uuid: string, name: string): Ref {
  return { Type: "ActionOutput", OutputUUID: uuid, OutputName: name };
}

export const shortcutInput: Ref = { Type: "ExtensionInput" };

export function named(name: string): Ref {
  return { Type: "Variable", VariableName: name };
}

/** The current item inside Repeat with Each. */
export const repeatItem: Ref = named("Repeat Item");

/** A parameter that is exactly one variable (e.g. the image a Resize Image action works on). */
export function attachment(ref: Ref): Params {
  return { Value: ref, WFSerializationType: "WFTextTokenAttachment" };
}

/** A text field mixing literal text and variables, e.g. `[Base URL]/v1/check`. */
export function text(...parts: (string | Ref)[]): Params {
  let string = "";
  const attachmentsByRange: Params = {};
  for (const part of parts) {
    if (typeof part === "string") {
      string += part;
    } else {
      // Ranges count UTF-16 code units, as NSString does; TOKEN is one unit.
      attachmentsByRange[`{${string.length}, 1}`] = part;
      string += TOKEN;
    }
  }
  return { Value: { attachmentsByRange, string }, WFSerializationType: "WFTextTokenString" };
}

/** A dictionary parameter (e.g. HTTP headers) whose keys and values are text fields. */
export function textDictionary(entries: [string, Params][]): Params {
  return {
    Value: {
      WFDictionaryFieldValueItems: entries.map(([key, value]) => ({ WFItemType: 0, WFKey: text(key), WFValue: value })),
    },
    WFSerializationType: "WFDictionaryFieldValue",
  };
}

/** The condition operand of an If action: a variable. */
export function conditionInput(ref: Ref): Params {
  return { Type: "Variable", Variable: attachment(ref) };
}

/** Keys sorted recursively, as Apple writes plists, so that output never depends on code order. */
export function canonical(value: Plist): Plist {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === "object") {
    const out: { [key: string]: Plist } = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical(value[key]!);
    return out;
  }
  return value;
}
