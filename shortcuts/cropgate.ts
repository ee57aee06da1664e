/**
 * cropgate's share-sheet Shortcut, defined once. `build.ts` turns it into the `.shortcut` property
 * list and into the numbered list in `README.md`, so the file and the build-it-by-hand steps cannot
 * drift apart.
 */
import {
  type Action,
  type Plist,
  action,
  attachment,
  conditionInput,
  named,
  output,
  repeatItem,
  shortcutInput,
  text,
  textDictionary,
  uuidFor,
} from "./wf";

export const SHORTCUT_NAME = "cropgate";
export const DEFAULT_URL = "https://cropgate.example.workers.dev";
/** Phone photos are 12–48 MP; the model reads a small centre square and the worker has 128 MB of memory. */
export const LONGEST_EDGE = 1024;
export const JPEG_QUALITY = 0.85;
export const CHECK_PATH = "/v1/check";
export const PROFILES_PATH = "/v1/profiles";
/** The crop profile asked for at import; answering ASK_EACH_TIME instead makes the Shortcut offer the worker's list on every run. */
export const DEFAULT_CROP = "rice";
export const ASK_EACH_TIME = "ask";
/** The named variable that holds the profile sent as ?profile=. */
export const CROP_VARIABLE = "Crop";
/** Shown around the URL when the answer is not cropgate's JSON. */
export const NOT_CROPGATE = ["No verdict: the service at ", " did not answer like cropgate. Check the URL."] as const;

/** One action, with how a person builds it by hand in the Shortcuts app. */
export type Step = { action: Action; title: string; howTo: string };

const names = {
  url: "service-url",
  baseUrl: "base-url",
  key: "api-key",
  cropSetting: "crop-setting",
  cropBranch: "if-ask",
  cropIf: "if-ask/start",
  cropElse: "if-ask/otherwise",
  cropEnd: "if-ask/end",
  profiles: "profiles",
  profileList: "profile-list",
  repeatGroup: "repeat-profiles",
  repeatStart: "repeat-profiles/start",
  profileName: "profile-name",
  repeatEnd: "repeat-profiles/end",
  chosen: "chosen-crop",
  resized: "resized-image",
  converted: "converted-image",
  response: "contents-of-url",
  dict: "dictionary",
  error: "error",
  errorMessage: "error-message",
  message: "message",
  branch: "if-error",
  ifStart: "if-error/start",
  ifElse: "if-error/otherwise",
  ifEnd: "if-error/end",
  messageBranch: "if-message",
  messageIf: "if-message/start",
  messageElse: "if-message/otherwise",
  messageEnd: "if-message/end",
};
// Top-level await: Web Crypto's digest is asynchronous.
const id = Object.fromEntries(
  await Promise.all(Object.entries(names).map(async ([k, name]) => [k, await uuidFor(name)] as const)),
) as Record<keyof typeof names, string>;

const out = {
  url: output(id.url, "Service URL"),
  baseUrl: output(id.baseUrl, "Base URL"),
  key: output(id.key, "API Key"),
  cropSetting: output(id.cropSetting, "Crop Setting"),
  profiles: output(id.profiles, "Profiles"),
  profileList: output(id.profileList, "Profile List"),
  repeatResults: output(id.repeatEnd, "Repeat Results"),
  chosen: output(id.chosen, "Chosen Item"),
  resized: output(id.resized, "Resized Image"),
  converted: output(id.converted, "Converted Image"),
  response: output(id.response, "Contents of URL"),
  dict: output(id.dict, "Dictionary"),
  error: output(id.error, "Error"),
  errorMessage: output(id.errorMessage, "Error Message"),
  message: output(id.message, "Message"),
};

export const steps: Step[] = [
  {
    title: "Text",
    howTo: `Type the service URL, e.g. \`${DEFAULT_URL}\`. Rename its output (tap it → Rename) to **Service URL**.`,
    action: action("gettext", { UUID: id.url, CustomOutputName: "Service URL", WFTextActionText: DEFAULT_URL }),
  },
  {
    // A pasted URL often ends in "/"; "https://host//v1/check" would not be found.
    title: "Replace Text",
    howTo:
      "Find `/+$`, replace with nothing, in **Service URL**; tap *Show More* and turn on **Regular Expression**. " +
      "Rename its output to **Base URL**.",
    action: action("text.replace", {
      UUID: id.baseUrl,
      CustomOutputName: "Base URL",
      WFInput: text(out.url),
      WFReplaceTextFind: "/+$",
      WFReplaceTextReplace: "",
      WFReplaceTextRegularExpression: true,
      WFReplaceTextCaseSensitive: true,
    }),
  },
  {
    title: "Text",
    howTo: "Type your API key (leave it empty if the service has none). Rename its output to **API Key**.",
    action: action("gettext", { UUID: id.key, CustomOutputName: "API Key", WFTextActionText: "" }),
  },
  {
    title: "Text",
    howTo:
      `Type the crop profile to check against, e.g. \`${DEFAULT_CROP}\`, or \`${ASK_EACH_TIME}\` to pick from the ` +
      "service's list on every run. Rename its output to **Crop Setting**.",
    action: action("gettext", { UUID: id.cropSetting, CustomOutputName: "Crop Setting", WFTextActionText: DEFAULT_CROP }),
  },
  {
    title: "If",
    howTo: `If **Crop Setting** **is** \`${ASK_EACH_TIME}\`.`,
    action: action("conditional", {
      UUID: id.cropIf,
      GroupingIdentifier: id.cropBranch,
      WFControlFlowMode: 0,
      WFCondition: 4,
      WFConditionalActionString: ASK_EACH_TIME,
      WFInput: conditionInput(out.cropSetting),
    }),
  },
  {
    title: "Get Contents of URL",
    howTo: `URL: **Base URL** followed by \`${PROFILES_PATH}\` (method GET). Rename its output to **Profiles**.`,
    action: action("downloadurl", { UUID: id.profiles, CustomOutputName: "Profiles", WFURL: text(out.baseUrl, PROFILES_PATH), WFHTTPMethod: "GET" }),
  },
  {
    title: "Get Dictionary Value",
    howTo: "Get **Value** for `profiles` in **Profiles**. Rename its output to **Profile List**.",
    action: action("getvalueforkey", {
      UUID: id.profileList,
      CustomOutputName: "Profile List",
      WFInput: attachment(out.profiles),
      WFGetDictionaryValueType: "Value",
      WFDictionaryKey: "profiles",
    }),
  },
  {
    title: "Repeat with Each",
    howTo: "Repeat with each item in **Profile List**.",
    action: action("repeat.each", { UUID: id.repeatStart, GroupingIdentifier: id.repeatGroup, WFControlFlowMode: 0, WFInput: attachment(out.profileList) }),
  },
  {
    title: "Get Dictionary Value",
    howTo: "Get **Value** for `profile` in **Repeat Item**.",
    action: action("getvalueforkey", { UUID: id.profileName, WFInput: attachment(repeatItem), WFGetDictionaryValueType: "Value", WFDictionaryKey: "profile" }),
  },
  {
    title: "End Repeat",
    howTo: "",
    action: action("repeat.each", { UUID: id.repeatEnd, GroupingIdentifier: id.repeatGroup, WFControlFlowMode: 2 }),
  },
  {
    title: "Choose from List",
    howTo: "Choose from **Repeat Results**, prompt `Which crop is in the photo?`.",
    action: action("choosefromlist", { UUID: id.chosen, WFInput: attachment(out.repeatResults), WFChooseFromListActionPrompt: "Which crop is in the photo?" }),
  },
  {
    title: "Set Variable",
    howTo: `Set variable **${CROP_VARIABLE}** to **Chosen Item**.`,
    action: action("setvariable", { WFVariableName: CROP_VARIABLE, WFInput: attachment(out.chosen) }),
  },
  {
    title: "Otherwise",
    howTo: "",
    action: action("conditional", { UUID: id.cropElse, GroupingIdentifier: id.cropBranch, WFControlFlowMode: 1 }),
  },
  {
    title: "Set Variable",
    howTo: `Set variable **${CROP_VARIABLE}** to **Crop Setting**.`,
    action: action("setvariable", { WFVariableName: CROP_VARIABLE, WFInput: attachment(out.cropSetting) }),
  },
  {
    title: "End If",
    howTo: "",
    action: action("conditional", { UUID: id.cropEnd, GroupingIdentifier: id.cropBranch, WFControlFlowMode: 2 }),
  },
  {
    title: "Resize Image",
    howTo: `Resize **Shortcut Input** to **Longest Edge** **${LONGEST_EDGE}**.`,
    action: action("image.resize", {
      UUID: id.resized,
      WFImage: attachment(shortcutInput),
      WFImageResizeKey: "Longest Edge",
      WFImageResizeLength: String(LONGEST_EDGE),
    }),
  },
  {
    title: "Convert Image",
    howTo:
      `Convert **Resized Image** to **JPEG**; *Show More*: Quality ${Math.round(JPEG_QUALITY * 100)} %, ` +
      "**Preserve Metadata off**.",
    action: action("image.convert", {
      UUID: id.converted,
      WFInput: attachment(out.resized),
      WFImageFormat: "JPEG",
      WFImageCompressionQuality: JPEG_QUALITY,
      // Resize Image has already drawn the photo upright, so an Orientation tag could only rotate it a
      // second time on the worker; dropping metadata also keeps the field's GPS position on the phone.
      WFImagePreserveMetadata: false,
    }),
  },
  {
    title: "Get Contents of URL",
    howTo:
      `URL: **Base URL** followed by \`${CHECK_PATH}?profile=\` and the variable **${CROP_VARIABLE}**. *Show More*: Method **POST**; Headers: add ` +
      "`X-API-Key` = **API Key**; Request Body **File**, File: **Converted Image**.",
    action: action("downloadurl", {
      UUID: id.response,
      WFURL: text(out.baseUrl, `${CHECK_PATH}?profile=`, named(CROP_VARIABLE)),
      WFHTTPMethod: "POST",
      ShowHeaders: true,
      WFHTTPHeaders: textDictionary([["X-API-Key", text(out.key)]]),
      WFHTTPBodyType: "File",
      WFRequestVariable: attachment(out.converted),
    }),
  },
  {
    title: "Get Dictionary from Input",
    howTo: "Get dictionary from **Contents of URL**.",
    action: action("detect.dictionary", { UUID: id.dict, WFInput: attachment(out.response) }),
  },
  {
    title: "Get Dictionary Value",
    howTo: "Get **Value** for `error` in **Dictionary**. Rename its output to **Error**.",
    action: action("getvalueforkey", {
      UUID: id.error,
      CustomOutputName: "Error",
      WFInput: attachment(out.dict),
      WFGetDictionaryValueType: "Value",
      WFDictionaryKey: "error",
    }),
  },
  {
    title: "If",
    howTo: "If **Error** **has any value**.",
    action: action("conditional", {
      UUID: id.ifStart,
      GroupingIdentifier: id.branch,
      WFControlFlowMode: 0,
      WFCondition: 100,
      WFInput: conditionInput(out.error),
    }),
  },
  {
    title: "Get Dictionary Value",
    howTo: "Get **Value** for `message` in **Error**. Rename its output to **Error Message**.",
    action: action("getvalueforkey", {
      UUID: id.errorMessage,
      CustomOutputName: "Error Message",
      WFInput: attachment(out.error),
      WFGetDictionaryValueType: "Value",
      WFDictionaryKey: "message",
    }),
  },
  {
    title: "Show Result",
    howTo: "Show **Error Message**.",
    action: action("showresult", { Text: text(out.errorMessage) }),
  },
  {
    title: "Otherwise",
    howTo: "",
    action: action("conditional", { UUID: id.ifElse, GroupingIdentifier: id.branch, WFControlFlowMode: 1 }),
  },
  {
    title: "Get Dictionary Value",
    howTo: "Get **Value** for `message` in **Dictionary**. Rename its output to **Message**.",
    action: action("getvalueforkey", {
      UUID: id.message,
      CustomOutputName: "Message",
      WFInput: attachment(out.dict),
      WFGetDictionaryValueType: "Value",
      WFDictionaryKey: "message",
    }),
  },
  {
    // A wrong URL (another site, a proxy's error page) answers without JSON: say so instead of
    // showing an empty result.
    title: "If",
    howTo: "If **Message** **has any value**.",
    action: action("conditional", {
      UUID: id.messageIf,
      GroupingIdentifier: id.messageBranch,
      WFControlFlowMode: 0,
      WFCondition: 100,
      WFInput: conditionInput(out.message),
    }),
  },
  {
    title: "Show Result",
    howTo: "Show **Message**.",
    action: action("showresult", { Text: text(out.message) }),
  },
  {
    title: "Otherwise",
    howTo: "",
    action: action("conditional", { UUID: id.messageElse, GroupingIdentifier: id.messageBranch, WFControlFlowMode: 1 }),
  },
  {
    title: "Show Result",
    howTo: `Show \`${NOT_CROPGATE[0]}\` **Base URL** \`${NOT_CROPGATE[1]}\`.`,
    action: action("showresult", { Text: text(NOT_CROPGATE[0], out.baseUrl, NOT_CROPGATE[1]) }),
  },
  {
    title: "End If",
    howTo: "",
    action: action("conditional", { UUID: id.messageEnd, GroupingIdentifier: id.messageBranch, WFControlFlowMode: 2 }),
  },
  {
    title: "End If",
    howTo: "",
    action: action("conditional", { UUID: id.ifEnd, GroupingIdentifier: id.branch, WFControlFlowMode: 2 }),
  },
];

const indexOf = (uuid: string) => steps.findIndex((s) => s.action.WFWorkflowActionParameters.UUID === uuid);

/** Asked once, when the Shortcut is added; the answers replace the two Text actions' contents. */
export const importQuestions = [
  {
    ActionIndex: indexOf(id.url),
    Category: "Parameter",
    ParameterKey: "WFTextActionText",
    Text: "The cropgate service URL (for example https://cropgate.<your-subdomain>.workers.dev)",
    DefaultValue: DEFAULT_URL,
  },
  {
    ActionIndex: indexOf(id.key),
    Category: "Parameter",
    ParameterKey: "WFTextActionText",
    Text: "Your cropgate API key (leave empty if the service does not use keys)",
    DefaultValue: "",
  },
  {
    ActionIndex: indexOf(id.cropSetting),
    Category: "Parameter",
    ParameterKey: "WFTextActionText",
    Text: `The crop profile to check photos against (for example ${DEFAULT_CROP}), or "${ASK_EACH_TIME}" to choose from the service's list each time`,
    DefaultValue: DEFAULT_CROP,
  },
];

export function workflow(): Plist {
  return {
    WFWorkflowName: SHORTCUT_NAME,
    // The client version of Cherri's fixtures; any Shortcuts newer than the minimum imports it.
    WFWorkflowClientVersion: "2038.0.2.4",
    WFWorkflowMinimumClientVersion: 900,
    WFWorkflowMinimumClientVersionString: "900",
    WFWorkflowIcon: { WFWorkflowIconGlyphNumber: 61440, WFWorkflowIconStartColor: 463140863 },
    // In the share sheet, for images (Photos shares WFPhotoMediaContentItem, other apps WFImageContentItem).
    WFWorkflowTypes: ["ActionExtension"],
    WFWorkflowInputContentItemClasses: ["WFImageContentItem", "WFPhotoMediaContentItem"],
    // Run from the Shortcuts app without a shared photo, it asks to pick one: the shape WorkflowKit's
    // WFInputActionInjectedParametersMigration writes (ItemClass WFPhotoMediaContentItem = the Photos
    // picker; SerializedParameters stays empty for a single photo).
    WFWorkflowNoInputBehavior: {
      Name: "WFWorkflowNoInputBehaviorAskForInput",
      Parameters: { ItemClass: "WFPhotoMediaContentItem", SerializedParameters: {} },
    },
    WFWorkflowHasShortcutInputVariables: true,
    WFWorkflowHasOutputFallback: false,
    WFWorkflowOutputContentItemClasses: [],
    WFQuickActionSurfaces: [],
    WFWorkflowImportQuestions: importQuestions,
    WFWorkflowActions: steps.map((s) => s.action),
  };
}
