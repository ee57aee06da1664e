import { z } from "zod";
import { CliError, ExitCode } from "./cli-error";

/** What the CLI reads from `POST /v1/check` (issue 3's API); extra fields are ignored. */
export const CheckResponseSchema = z.looseObject({
  verdict: z.enum(["normal", "anomaly"]),
  normal: z.boolean(),
  score: z.number(),
  threshold: z.number(),
  confidence: z.number(),
  profile: z.string(),
  message: z.string(),
  reference: z.looseObject({ version: z.string() }).optional(),
});
export type CheckResponse = z.infer<typeof CheckResponseSchema>;

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
/** `201` of `POST /v1/profiles/{profile}/versions`: the version summary the worker assigned. */
const CreatedSchema = z.looseObject({ version: z.looseObject({ version: z.string() }) });

/** A photo the worker refused (4xx about the photo itself): skip it, as a local decode failure would be. */
export class RejectedPhoto extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
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

async function send(url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(ExitCode.Remote, `cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const text = await res.text();
  try {
    return ErrorBodySchema.parse(JSON.parse(text)).error;
  } catch {
    return { code: `http_${res.status}`, message: text.slice(0, 200) || res.statusText };
  }
}

export interface CheckOptions {
  url: string;
  profile?: string;
  apiKey?: string;
}

/** Posts one JPEG to `/v1/check`. Photo-level refusals (400/413/415/422) throw RejectedPhoto; the rest CliError. */
export async function checkRemote(bytes: Uint8Array<ArrayBuffer>, options: CheckOptions): Promise<CheckResponse> {
  const url = new URL("v1/check", withSlash(baseUrl(options.url)));
  if (options.profile) url.searchParams.set("profile", options.profile);
  const headers: Record<string, string> = { "content-type": "image/jpeg" };
  if (options.apiKey) headers["x-api-key"] = options.apiKey;
  const res = await send(url, { method: "POST", headers, body: bytes });
  if (!res.ok) {
    const error = await errorOf(res);
    if ([400, 413, 415, 422].includes(res.status)) throw new RejectedPhoto(res.status, error.code, error.message);
    throw new CliError(ExitCode.Remote, `${url.origin} answered ${res.status} ${error.code}: ${error.message}`);
  }
  const parsed = CheckResponseSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) throw new CliError(ExitCode.Remote, `${url.origin} sent an unexpected /v1/check response`);
  return parsed.data;
}

/** Stores a reference through the admin API and activates it; returns the version the worker assigned. */
export async function uploadReference(
  reference: { profile: string },
  options: { url: string; token: string },
): Promise<{ version: string; body: unknown }> {
  const url = new URL(`v1/profiles/${encodeURIComponent(reference.profile)}/versions`, withSlash(baseUrl(options.url)));
  url.searchParams.set("activate", "true");
  const res = await send(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${options.token}` },
    body: JSON.stringify(reference),
  });
  if (!res.ok) {
    const error = await errorOf(res);
    throw new CliError(ExitCode.Remote, `upload refused by ${url.origin}: ${res.status} ${error.code}: ${error.message}`);
  }
  const body: unknown = await res.json().catch(() => undefined);
  const created = CreatedSchema.safeParse(body);
  if (!created.success) throw new CliError(ExitCode.Remote, `${url.origin} stored the reference but sent an unexpected answer`);
  return { version: created.data.version.version, body };
}

// new URL("v1/check", "http://h/prefix") drops "prefix"; keep a path prefix such as a route under a domain.
const withSlash = (u: URL) => new URL(u.href.endsWith("/") ? u.href : `${u.href}/`);
