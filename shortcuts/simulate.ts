/**
 * Runs a Shortcut's actions the way the Shortcuts app would, for the handful of actions cropgate's
 * Shortcut uses, so tests can replay the real file against the real worker: the HTTP request comes
 * from the file's own parameters and variable wiring, and what the user would see comes from the
 * file's own If/Otherwise logic applied to the worker's actual answer.
 *
 * Modelled on what public sources show of Shortcuts' WFDownloadURLAction (decompiled builds of
 * WorkflowKit): a *File* body is sent as the file's bytes with `Content-Type` set from the file's type
 * (unless a header sets it); a *Form* body is `multipart/form-data` written by PKMultipartInputStream
 * (boundary = NSProcessInfo.globallyUniqueString, file parts carry `filename` and a `Content-Type`
 * from the file's extension); the answer is handed back whatever the HTTP status, and a JSON answer
 * becomes a dictionary. Image editing (resize, format conversion) is iOS's job: tests pass hooks.
 */
import type { Action, Params, Plist, Ref } from "./wf";
import { TOKEN } from "./wf";

export type ShortcutFile = { name: string; type: string; bytes: Uint8Array };
export type Value = string | number | boolean | ShortcutFile | Dict | Value[] | undefined;
export type Dict = { [key: string]: Value };

export type Hooks = {
  /** Image → image (iOS's Resize Image). */
  resize(file: ShortcutFile, params: Params): ShortcutFile;
  /** Image → image (iOS's Convert Image). */
  convert(file: ShortcutFile, params: Params): ShortcutFile;
  /** Choose from List: the item the user taps (tests decide). */
  choose?(items: Value[], prompt: string): Value;
  /** Multipart boundary; Shortcuts uses a fresh globallyUniqueString. */
  boundary?: string;
};

/** What happened: each request sent (a clone), each answer as the Shortcut read it, and what it showed. */
export type Run = { requests: Request[]; answers: { status: number; value: Value }[]; shown: string[] };

/** Output names the Shortcuts app gives each action's result unless it was renamed. */
const DEFAULT_OUTPUT: Record<string, string> = {
  gettext: "Text",
  "text.replace": "Updated Text",
  "image.resize": "Resized Image",
  "image.convert": "Converted Image",
  downloadurl: "Contents of URL",
  "detect.dictionary": "Dictionary",
  getvalueforkey: "Dictionary Value",
  "repeat.each": "Repeat Results",
  choosefromlist: "Chosen Item",
};

const isFile = (v: Value): v is ShortcutFile =>
  typeof v === "object" && v !== null && !Array.isArray(v) && (v as Dict).bytes instanceof Uint8Array;
const isDict = (v: Value): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v) && !isFile(v);

export async function runShortcut(
  workflow: Plist,
  input: ShortcutFile,
  answers: string[],
  fetcher: (request: Request) => Promise<Response>,
  hooks: Hooks,
): Promise<Run> {
  const wf = workflow as { WFWorkflowActions: Action[]; WFWorkflowImportQuestions: Params[] };
  const actions = structuredClone(wf.WFWorkflowActions);
  // Import answers replace the parameter they were asked for, as on "Add Shortcut".
  wf.WFWorkflowImportQuestions.forEach((q, i) => {
    const target = actions[q.ActionIndex as number];
    if (!target) throw new Error(`import question ${i} points at no action`);
    target.WFWorkflowActionParameters[q.ParameterKey as string] = answers[i] ?? (q.DefaultValue as string);
  });

  const outputs = new Map<string, Value>();
  const kinds = new Map<string, Action>();
  const run: Run = { requests: [], answers: [], shown: [] };
  const variables = new Map<string, Value>();
  // Repeat with Each: where each open loop started, its items, and what each pass's last action gave.
  const loops: { start: number; items: Value[]; index: number; results: Value[] }[] = [];
  let last: Value;

  const deref = (ref: Ref): Value => {
    if (ref.Type === "ExtensionInput") return input;
    if (ref.Type === "Variable") {
      if (ref.VariableName === "Repeat Item") {
        const loop = loops.at(-1);
        if (!loop) throw new Error("Repeat Item used outside Repeat with Each");
        return loop.items[loop.index];
      }
      if (!variables.has(ref.VariableName)) throw new Error(`variable ${ref.VariableName} is read before Set Variable`);
      return variables.get(ref.VariableName);
    }
    const source = kinds.get(ref.OutputUUID);
    if (!source) throw new Error(`variable ${ref.OutputName} refers to an action that has not run before it`);
    const kind = source.WFWorkflowActionIdentifier.replace("is.workflow.actions.", "");
    const name = (source.WFWorkflowActionParameters.CustomOutputName as string) ?? DEFAULT_OUTPUT[kind];
    if (ref.OutputName !== name) throw new Error(`variable named ${ref.OutputName} but its action's output is ${name}`);
    return outputs.get(ref.OutputUUID);
  };
  const variable = (p: Plist | undefined): Value => {
    const param = p as Params | undefined;
    if (param?.WFSerializationType === "WFTextTokenAttachment") return deref(param.Value as Ref);
    if (param?.WFSerializationType === "WFTextTokenString") {
      const v = param.Value as { string: string; attachmentsByRange: Record<string, Ref> };
      const tokens = Object.keys(v.attachmentsByRange);
      // A field that is exactly one variable passes the value itself (a file stays a file).
      if (v.string === TOKEN && tokens.length === 1) return deref(v.attachmentsByRange[tokens[0]!]!);
    }
    return textOf(p);
  };
  const textOf = (p: Plist | undefined): string => {
    if (p === undefined) return "";
    if (typeof p === "string") return p;
    const param = p as Params;
    if (param.WFSerializationType === "WFTextTokenAttachment") return stringify(deref(param.Value as Ref));
    if (param.WFSerializationType !== "WFTextTokenString") throw new Error(`not a text field: ${JSON.stringify(p)}`);
    const v = param.Value as { string: string; attachmentsByRange: Record<string, Ref> };
    let out = "";
    for (let i = 0; i < v.string.length; i++) {
      const ref = v.attachmentsByRange[`{${i}, 1}`];
      out += ref ? stringify(deref(ref)) : v.string[i];
    }
    return out;
  };
  const dictionaryOf = (p: Plist | undefined): [string, Value, number][] => {
    const param = p as Params | undefined;
    if (!param) return [];
    if (param.WFSerializationType !== "WFDictionaryFieldValue") throw new Error("not a dictionary field");
    const items = (param.Value as Params).WFDictionaryFieldValueItems as Params[];
    return items.map((item) => {
      const type = item.WFItemType as number;
      // Item type 5 is a file field of a form: its value wraps a variable.
      const value = type === 5 ? variable((item.WFValue as Params).Value) : textOf(item.WFValue);
      return [textOf(item.WFKey), value, type];
    });
  };

  for (let pc = 0; pc < actions.length; pc++) {
    const a = actions[pc]!;
    const p = a.WFWorkflowActionParameters;
    const kind = a.WFWorkflowActionIdentifier.replace("is.workflow.actions.", "");
    let result: Value = undefined;
    switch (kind) {
      case "gettext":
        result = textOf(p.WFTextActionText);
        break;
      case "text.replace": {
        const source = textOf(p.WFInput);
        const find = p.WFReplaceTextFind as string;
        const replacement = (p.WFReplaceTextReplace as string) ?? "";
        const flags = p.WFReplaceTextCaseSensitive === false ? "gi" : "g";
        result = p.WFReplaceTextRegularExpression
          ? source.replace(new RegExp(find, flags), replacement)
          : source.split(find).join(replacement);
        break;
      }
      case "image.resize":
        result = hooks.resize(fileOf(variable(p.WFImage), kind), p);
        break;
      case "image.convert":
        result = hooks.convert(fileOf(variable(p.WFInput), kind), p);
        break;
      case "downloadurl": {
        const request = buildRequest(textOf(p.WFURL), p, dictionaryOf, variable, hooks.boundary);
        run.requests.push(request.clone());
        const res = await fetcher(request);
        result = await readAnswer(res);
        run.answers.push({ status: res.status, value: result });
        break;
      }
      case "detect.dictionary": {
        const v = variable(p.WFInput);
        result = isDict(v) ? v : isFile(v) ? parseJson(new TextDecoder().decode(v.bytes)) : parseJson(stringify(v));
        break;
      }
      case "getvalueforkey": {
        if (p.WFGetDictionaryValueType !== "Value") throw new Error("only Get Value for Key is modelled");
        const dict = variable(p.WFInput);
        result = isDict(dict) ? dict[textOf(p.WFDictionaryKey)] : undefined;
        break;
      }
      case "conditional": {
        const mode = p.WFControlFlowMode;
        const group = p.GroupingIdentifier;
        const next = (modes: number[]) => {
          const j = actions.findIndex(
            (b, j) =>
              j > pc &&
              b.WFWorkflowActionParameters.GroupingIdentifier === group &&
              modes.includes(b.WFWorkflowActionParameters.WFControlFlowMode as number),
          );
          if (j < 0) throw new Error(`If at action ${pc} has no matching Otherwise/End If`);
          return j;
        };
        if (mode === 0) {
          const operand = variable((p.WFInput as Params).Variable);
          // 100 "has any value"; 4 "is" (text equality with WFConditionalActionString).
          let holds: boolean;
          if (p.WFCondition === 100) holds = hasAnyValue(operand);
          else if (p.WFCondition === 4) holds = stringify(operand) === (p.WFConditionalActionString as string);
          else throw new Error(`condition ${String(p.WFCondition)} is not modelled`);
          if (!holds) pc = next([1, 2]); // to Otherwise (run its body) or End If
        } else if (mode === 1) {
          pc = next([2]); // the If branch ran: skip the Otherwise branch
        }
        break;
      }
      case "repeat.each": {
        if (p.WFControlFlowMode === 0) {
          const list = variable(p.WFInput);
          const items = Array.isArray(list) ? list : list === undefined ? [] : [list];
          const group = p.GroupingIdentifier;
          const end = actions.findIndex((b, j) => j > pc && b.WFWorkflowActionParameters.GroupingIdentifier === group && b.WFWorkflowActionParameters.WFControlFlowMode === 2);
          if (end < 0) throw new Error(`Repeat at action ${pc} has no End Repeat`);
          if (items.length === 0) {
            pc = end; // nothing to repeat: the End Repeat's output is an empty list
            const e = actions[end]!.WFWorkflowActionParameters;
            if (typeof e.UUID === "string") {
              outputs.set(e.UUID, []);
              kinds.set(e.UUID, actions[end]!);
            }
            continue;
          }
          loops.push({ start: pc, items, index: 0, results: [] });
        } else {
          const loop = loops.at(-1);
          if (!loop) throw new Error("End Repeat without Repeat");
          loop.results.push(last);
          if (++loop.index < loop.items.length) {
            pc = loop.start; // the body again, with the next Repeat Item
            continue;
          }
          loops.pop();
          result = loop.results;
        }
        break;
      }
      case "choosefromlist": {
        const list = variable(p.WFInput);
        const items = Array.isArray(list) ? list : [list];
        if (!hooks.choose) throw new Error("Choose from List needs a choose hook");
        result = hooks.choose(items, textOf(p.WFChooseFromListActionPrompt));
        break;
      }
      case "setvariable":
        variables.set(p.WFVariableName as string, variable(p.WFInput));
        result = variables.get(p.WFVariableName as string);
        break;
      case "showresult":
        run.shown.push(textOf(p.Text));
        break;
      default:
        throw new Error(`action ${kind} is not modelled by the simulator`);
    }
    if (typeof p.UUID === "string") {
      outputs.set(p.UUID, result);
      kinds.set(p.UUID, a);
    }
    last = result;
  }
  return run;
}

function buildRequest(
  url: string,
  p: Params,
  dictionaryOf: (p: Plist | undefined) => [string, Value, number][],
  variable: (p: Plist | undefined) => Value,
  boundary = "5C3A1B1E-7A4B-4D1C-9E0F-2B6A8D4C1F3E-4242-00000A1B2C3D4E5F",
): Request {
  const method = (p.WFHTTPMethod as string) ?? "GET";
  const headers = new Headers();
  for (const [key, value] of dictionaryOf(p.WFHTTPHeaders)) headers.append(key, stringify(value));
  let body: Uint8Array | undefined;
  if (method !== "GET") {
    if (p.WFHTTPBodyType === "File") {
      const file = fileOf(variable(p.WFRequestVariable), "downloadurl");
      body = file.bytes;
      if (!headers.has("content-type")) headers.set("content-type", file.type);
    } else if (p.WFHTTPBodyType === "Form") {
      body = multipart(dictionaryOf(p.WFFormValues), boundary);
      headers.set("content-type", `multipart/form-data; boundary=${boundary}`);
    } else {
      throw new Error(`request body ${String(p.WFHTTPBodyType)} is not modelled`);
    }
  }
  return new Request(url, { method, headers, body });
}

/** The body PKMultipartInputStream writes: parts in order, each ended by CRLF, then the footer. */
export function multipart(fields: [string, Value, number][], boundary: string): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const [name, value] of fields) {
    if (isFile(value)) {
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${value.name}"\r\nContent-Type: ${mimeFromName(value.name)}\r\n\r\n`;
      chunks.push(enc.encode(head), value.bytes, enc.encode("\r\n"));
    } else {
      chunks.push(enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${stringify(value)}\r\n`));
    }
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function mimeFromName(name: string): string {
  const ext = name.split(".").pop()?.toLowerCase();
  const known: Record<string, string> = { jpeg: "image/jpeg", jpg: "image/jpeg", heic: "image/heic", png: "image/png" };
  return known[ext ?? ""] ?? "application/octet-stream";
}

async function readAnswer(res: Response): Promise<Value> {
  const type = res.headers.get("content-type") ?? "";
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (/^application\/([\w.+-]+\+)?json\b/i.test(type)) return parseJson(new TextDecoder().decode(bytes));
  return { name: "response", type: type.split(";")[0] ?? "", bytes };
}

function parseJson(text: string): Value {
  try {
    return JSON.parse(text) as Value;
  } catch {
    return undefined;
  }
}

function fileOf(v: Value, kind: string): ShortcutFile {
  if (!isFile(v)) throw new Error(`${kind} needs a file, got ${typeof v}`);
  return v;
}

function hasAnyValue(v: Value): boolean {
  if (v === undefined || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

function stringify(v: Value): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (isFile(v)) return v.name;
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}
