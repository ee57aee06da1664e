import { describe, expect, it } from "vitest";
import { inlineBlocks, pageCsp } from "../../src/page/csp";
import { pageRoutes } from "../../src/routes/page";
import { call, makeApp } from "./harness";

describe("GET / (the web page)", () => {
  it("serves one self-contained HTML page with a hash-pinned CSP", async () => {
    const res = await pageRoutes.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    // The inline script is allowed by its hash, and only by it.
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    // No external assets: nothing is loaded from another origin.
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    for (const css of inlineBlocks(html, "style")) expect(css).not.toMatch(/@import|url\(/i);
    for (const id of ["file", "camera", "drop", "crop", "verdict", "message", "meter", "marker", "details", "score", "threshold", "lower-threshold", "profile", "quality", "reference", "error-message"]) {
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).toContain('name="viewport"');
  });

  it("is mounted at / by the worker's app, next to the API", async () => {
    const app = makeApp();
    const res = await call(app, "/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await res.text()).toContain('id="file"');
    // The page posts to the API on the same origin: the route it calls exists.
    const check = await call(app, "/v1/check", { method: "POST", body: "" });
    expect(check.status).not.toBe(404);
  });

  it("hashes exactly the inline blocks, so editing the script changes the policy", async () => {
    const a = await pageCsp("<script>let a = 1;</script><style>p{}</style>");
    const b = await pageCsp("<script>let a = 2;</script><style>p{}</style>");
    expect(a).not.toBe(b);
    // echo -n 'let a = 1;' | openssl dgst -sha256 -binary | base64
    expect(a).toContain("'sha256-xY6QKfH9PRsQnLz56nj6MBwiK5oHg+im1Jkpdp1x/Ck='");
    expect(inlineBlocks("<script>x</script><script>y</script>", "script")).toEqual(["x", "y"]);
    expect(await pageCsp("<p>no script</p>")).toContain("script-src 'none'");
  });
});
