import createClient from "openapi-fetch";
import { z } from "zod";
import { PhotoHashesSchema, type PhotoHashes } from "../references/schema";
import { VERDICTS } from "../scoring/verdict";
import { CliError, ExitCode } from "./cli-error";
import type { components, paths } from "./worker-api";

/**
 * The CLI's `--url` mode talks to the worker through openapi-fetch, typed by src/cli/worker-api.d.ts,
 * which `npm run api` generates from the worker's own /openapi.json (and `npm test` keeps in sync).
 * Responses are still validated at run time: the worker at the other end may run another version.
 */

/** What the CLI reads from `POST /v1/check` (issue 3's API); extra fields are ignored. */
export const CheckResponseSchema = z.looseObject({
  verdict: z.enum(VERDICTS),
  normal: z.boolean(),
  score: z.number(),
  threshold: z.number(),
  lowerThreshold: z.number().optional(),
  confidence: z.number(),
  profile: z.string(),
  message: z.string(),
  reference: z.looseObject({ version: z.string() }).optional(),
  quality: z.looseObject({ ok: z.boolean(), issues: z.array(z.string()) }).optional(),
  lookalike: z.looseObject({ label: z.string(), similarity: z.number() }).nullable().optional(),
});
export type CheckResponse = z.infer<typeof CheckResponseSchema>;

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) });
/** `201` of `POST /v1/profiles/{profile}/versions`: the version summary the worker assigned. */
const CreatedSchema = z.looseObject({ version: z.looseObject({ version: z.string() }) });

/** A photo the worker refused (4xx about the photo itself): skip it, as a local decode failure would be. */
export class RejectedPhoto extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

function baseUrl(url: string): URL {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("not http(s)");
    return parsed;
  } catch {
    throw new CliError(ExitCode.Usage, `--url must be an http(s) URL such as http://127.0.0.1:8787, got "${url}"`);
  }
}

function client(url: string, headers: Record<string, string> = {}) {
  const base = baseUrl(url);
  // openapi-fetch joins baseUrl and the path as strings: drop a trailing slash, keep a path prefix.
  return { base, api: createClient<paths>({ baseUrl: base.href.replace(/\/+$/, ""), headers }) };
}

/** openapi-fetch throws on network failures; the CLI answers them with one line and exit code 4. */
async function reach<T>(base: URL, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(ExitCode.Remote, `cannot reach ${base.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
}

/** The `{ error: { code, message } }` body of a refusal, or a stand-in when the body is not one. */
function errorOf(body: unknown, res: Response): { code: string; message: string; details?: Record<string, unknown> } {
  const parsed = ErrorBodySchema.safeParse(body);
  return parsed.success ? parsed.data.error : { code: `http_${res.status}`, message: res.statusText || "no error body" };
}

export interface CheckOptions {
  url: string;
  profile?: string;
  apiKey?: string;
}

/** Posts one JPEG to `/v1/check`. Photo-level refusals (400/413/415/422) throw RejectedPhoto; the rest CliError. */
export async function checkRemote(bytes: Uint8Array<ArrayBuffer>, options: CheckOptions): Promise<CheckResponse> {
  const { base, api } = client(options.url, options.apiKey ? { "x-api-key": options.apiKey } : {});
  const { data, error, response } = await reach(base, () =>
    api.POST("/v1/check", {
      params: { query: options.profile ? { profile: options.profile } : {} },
      // The raw JPEG (no base64 inflation). openapi-typescript types `format: binary` as string; the
      // serializer hands the bytes to fetch unchanged.
      body: bytes as unknown as string,
      bodySerializer: (b: unknown) => b as BodyInit,
      headers: { "content-type": "image/jpeg" },
    }),
  );
  if (!response.ok) {
    const e = errorOf(error, response);
    if ([400, 413, 415, 422].includes(response.status)) throw new RejectedPhoto(response.status, e.code, e.message, e.details);
    throw new CliError(ExitCode.Remote, `${base.origin} answered ${response.status} ${e.code}: ${e.message}`);
  }
  const parsed = CheckResponseSchema.safeParse(data);
  if (!parsed.success) throw new CliError(ExitCode.Remote, `${base.origin} sent an unexpected /v1/check response`);
  return parsed.data;
}

/** `data.photos` of a stored version, or null when it has none (an older reference, or one without provenance). */
export async function fetchReferenceData(
  url: string,
  profile: string,
  version: string,
  options: { apiKey?: string } = {},
): Promise<PhotoHashes | null> {
  const { base, api } = client(url, options.apiKey ? { "x-api-key": options.apiKey } : {});
  const { data, error, response } = await reach(base, () =>
    api.GET("/v1/profiles/{profile}/versions/{version}", { params: { path: { profile, version }, query: {} } }),
  );
  if (!response.ok) {
    const e = errorOf(error, response);
    throw new CliError(ExitCode.Remote, `${base.origin} answered ${response.status} ${e.code}: ${e.message}`);
  }
  const parsed = StoredPhotosSchema.safeParse(data);
  return parsed.success ? (parsed.data.reference.data?.photos ?? null) : null;
}

const StoredPhotosSchema = z.looseObject({
  reference: z.looseObject({ data: z.looseObject({ photos: PhotoHashesSchema.optional() }).optional() }),
});

/** Stores a reference through the admin API and activates it; returns the version the worker assigned. */
export async function uploadReference(
  reference: { profile: string },
  options: { url: string; token: string },
): Promise<{ version: string; body: unknown }> {
  const { base, api } = client(options.url, { authorization: `Bearer ${options.token}` });
  const { data, error, response } = await reach(base, () =>
    api.POST("/v1/profiles/{profile}/versions", {
      params: { path: { profile: reference.profile }, query: { activate: "true" } },
      // The CLI's reference is built and validated by src/references/schema.ts, the schema the document publishes.
      body: reference as components["schemas"]["Reference"],
    }),
  );
  if (!response.ok) {
    const e = errorOf(error, response);
    throw new CliError(ExitCode.Remote, `upload refused by ${base.origin}: ${response.status} ${e.code}: ${e.message}`);
  }
  const created = CreatedSchema.safeParse(data);
  if (!created.success) throw new CliError(ExitCode.Remote, `${base.origin} stored the reference but sent an unexpected answer`);
  return { version: created.data.version.version, body: data };
}
