import { Hono } from "hono";
import { pageCsp } from "../page/csp";
import html from "../page/page.html";

// Hashing the inline blocks once per isolate is enough: the page is part of the bundle.
let csp: Promise<string> | undefined;

/** `GET /`: the one small page (pick or drop a photo, see the verdict). Everything is inline. */
export const pageRoutes = new Hono().get("/", async (c) => {
  csp ??= pageCsp(html);
  return c.html(html, 200, {
    "content-security-policy": await csp,
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
});
