/**
 * A Content-Security-Policy for the one page: it may run only its own inline script and style
 * (pinned by hash), talk only to this origin and show only the photo it made. That keeps the promise
 * of "no external assets" enforced by the browser, not just by review.
 */
export async function pageCsp(html: string): Promise<string> {
  const hashes = async (tag: string) =>
    (await Promise.all(inlineBlocks(html, tag).map(sha256Base64))).map((h) => `'sha256-${h}'`).join(" ");
  return [
    "default-src 'none'",
    `script-src ${(await hashes("script")) || "'none'"}`,
    `style-src ${(await hashes("style")) || "'none'"}`,
    "img-src blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The text between `<tag>` (no attributes) and `</tag>`, exactly as the browser hashes it. */
export function inlineBlocks(html: string, tag: string): string[] {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g");
  return [...html.matchAll(re)].map((m) => m[1] ?? "");
}

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest));
}
