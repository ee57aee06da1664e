import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { rateLimitEnabled, RATE_LIMITS } from "../http/rate-limit";
import { admin, call, errorOf, fixture, jpeg, makeApp, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

// These run against wrangler.toml's real [[ratelimits]] bindings (Miniflare's implementation: fixed
// windows aligned to the wall clock, shared by every test file), so each test is its own client
// (a random CF-Connecting-IP or API key).
const app = makeApp();
const profile = uniqueProfile("rice");
const on = { RATE_LIMIT: "on" } as const;
const randomIp = () => `203.0.113.${crypto.getRandomValues(new Uint8Array(1))[0]}-${crypto.randomUUID().slice(0, 6)}`;
/** An empty check: refused with 400 after the limiter counted it, so 60 of them cost no inference. */
const emptyCheck = (headers: Record<string, string>) => ({ method: "POST", headers: { "content-type": "image/jpeg", ...headers }, body: "" });
const minute = () => Math.floor(Date.now() / 60_000);

/**
 * Runs `attempt` until one run stays within one limiter window and returns what it saw (a run that
 * straddles a minute boundary starts counting afresh halfway and proves nothing); at most three tries.
 * Callers assert on the result, never inside the attempt.
 */
async function inOneWindow<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; i < 3; i++) {
    const start = minute();
    const result = await attempt();
    if (minute() === start) return result;
  }
  throw new Error("every attempt straddled a minute boundary");
}

const statusesOf = (responses: Response[]) => responses.map((r) => r.status);

beforeAll(async () => {
  await upload(app, riceReference({ profile }));
  // Load the model now, so the limited runs below take a second, not the cold start.
  expect((await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("coffee.jpg")))).status).toBe(200);
});

describe("rate limiting of POST /v1/identify", () => {
  it("shares the check limit: one client's 61st photo request in a minute gets 429, whichever of the two routes", async () => {
    const { limit } = RATE_LIMITS.check;
    const seen = await inOneWindow(async () => {
      const ip = randomIp();
      const statuses: number[] = [];
      for (let i = 0; i < limit; i++) {
        const path = i % 2 ? "/v1/identify" : `/v1/check?profile=${profile}`;
        statuses.push((await call(app, path, emptyCheck({ "cf-connecting-ip": ip }), on)).status);
      }
      return { statuses, over: await call(app, "/v1/identify", emptyCheck({ "cf-connecting-ip": ip }), on) };
    });
    expect(seen.statuses).toEqual(Array(limit).fill(400)); // counted, then refused for the empty body
    expect(await errorOf(seen.over)).toMatchObject({ status: 429, code: "rate_limited" });
  });
});

describe("rate limiting of POST /v1/check", () => {
  const { limit, periodSeconds } = RATE_LIMITS.check;

  it(`answers the ${limit + 1}st check in a minute from one IP with 429 rate_limited and Retry-After; other IPs go on`, async () => {
    expect(limit).toBe(60);
    const seen = await inOneWindow(async () => {
      const ip = randomIp();
      const photo = { ...jpeg(fixture("coffee.jpg")), headers: { "content-type": "image/jpeg", "cf-connecting-ip": ip } };
      const first = await call(app, `/v1/check?profile=${profile}`, photo, on);
      const rest: Response[] = [];
      for (let i = 1; i < limit; i++) rest.push(await call(app, `/v1/check?profile=${profile}`, emptyCheck({ "cf-connecting-ip": ip }), on));
      const over = await call(app, `/v1/check?profile=${profile}`, photo, on);
      const other = await call(app, `/v1/check?profile=${profile}`, { ...photo, headers: { ...photo.headers, "cf-connecting-ip": randomIp() } }, on);
      return { first: first.status, rest: statusesOf(rest), over, other: other.status };
    });
    expect(seen.first).toBe(200);
    expect(seen.rest).toEqual(Array(limit - 1).fill(400));
    expect(seen.over.headers.get("retry-after")).toBe(String(periodSeconds));
    expect(seen.over.headers.get("content-type")).toMatch(/application\/json/);
    expect(await errorOf(seen.over)).toMatchObject({ status: 429, code: "rate_limited" });
    expect(seen.other).toBe(200);
  });

  it("counts per API key when API_KEYS is set, whatever the IP", async () => {
    const a = `key-a-${crypto.randomUUID()}`, b = `key-b-${crypto.randomUUID()}`;
    const keyed = { ...on, API_KEYS: `${a},${b}` };
    const seen = await inOneWindow(async () => {
      const allowed: Response[] = [];
      for (let i = 0; i < limit; i++) allowed.push(await call(app, `/v1/check?profile=${profile}`, emptyCheck({ "x-api-key": a, "cf-connecting-ip": randomIp() }), keyed));
      const over = await call(app, `/v1/check?profile=${profile}`, emptyCheck({ "x-api-key": a, "cf-connecting-ip": randomIp() }), keyed);
      const otherKey = await call(app, `/v1/check?profile=${profile}`, emptyCheck({ "x-api-key": b }), keyed);
      return { allowed: statusesOf(allowed), over, otherKey: otherKey.status };
    });
    expect(seen.allowed).toEqual(Array(limit).fill(400));
    expect(await errorOf(seen.over)).toMatchObject({ status: 429, code: "rate_limited" });
    expect(seen.otherKey).toBe(400);
  });

  it("a wrong key is refused with 401 before it counts against anyone", async () => {
    const good = `key-${crypto.randomUUID()}`;
    const keyed = { ...on, API_KEYS: good };
    const ip = randomIp();
    for (let i = 0; i < limit + 5; i++) {
      expect((await call(app, `/v1/check?profile=${profile}`, emptyCheck({ "x-api-key": "wrong", "cf-connecting-ip": ip }), keyed)).status).toBe(401);
    }
    expect((await call(app, `/v1/check?profile=${profile}`, emptyCheck({ "x-api-key": good, "cf-connecting-ip": ip }), keyed)).status).toBe(400);
  });

  it("with RATE_LIMIT off, 1 000 checks in a row from one IP are never limited", async () => {
    const ip = randomIp();
    const statuses = new Set<number>();
    for (let i = 0; i < 1000; i++) statuses.add((await call(app, `/v1/check?profile=${profile}`, emptyCheck({ "cf-connecting-ip": ip }), { RATE_LIMIT: "off" })).status);
    expect([...statuses]).toEqual([400]);
    // and real checks still get verdicts
    const res = await call(app, `/v1/check?profile=${profile}`, { ...jpeg(fixture("coffee.jpg")), headers: { "content-type": "image/jpeg", "cf-connecting-ip": ip } }, { RATE_LIMIT: "off" });
    expect(res.status).toBe(200);
  });

  it("lets requests through when the binding is missing (misconfiguration must not take the API down)", async () => {
    const ip = randomIp();
    for (let i = 0; i < limit + 1; i++) {
      expect((await call(app, `/v1/check?profile=${profile}`, emptyCheck({ "cf-connecting-ip": ip }), { ...on, CHECK_LIMITER: undefined })).status).toBe(400);
    }
  });
});

describe("rate limiting of admin routes", () => {
  const { limit } = RATE_LIMITS.admin;

  it(`is stricter (${limit} a minute per IP) and counts before the token check, so token guesses are limited too`, async () => {
    expect(limit).toBeLessThan(RATE_LIMITS.check.limit);
    const seen = await inOneWindow(async () => {
      const ip = randomIp();
      const guess = { method: "PUT", headers: { authorization: "Bearer guess", "content-type": "application/json", "cf-connecting-ip": ip }, body: "{}" };
      const guesses: Response[] = [];
      for (let i = 0; i < limit; i++) guesses.push(await call(app, `/v1/profiles/${profile}/current`, guess, on));
      const over = await call(app, `/v1/profiles/${profile}/current`, guess, on);
      const create = { method: "POST", headers: { ...admin, "content-type": "application/json", "cf-connecting-ip": ip }, body: JSON.stringify(riceReference({ profile })) };
      const rightToken = await call(app, `/v1/profiles/${profile}/versions`, create, on);
      const read = await call(app, `/v1/profiles/${profile}/versions`, { headers: { "cf-connecting-ip": ip } }, on);
      return { guesses: statusesOf(guesses), over, rightToken: rightToken.status, read: read.status };
    });
    expect(seen.guesses).toEqual(Array(limit).fill(401));
    expect(seen.over.headers.get("retry-after")).toBe("60");
    expect(await errorOf(seen.over)).toMatchObject({ status: 429, code: "rate_limited" });
    // the same IP with the right token is limited as well (the limit is per client, not per token)
    expect(seen.rightToken).toBe(429);
    // read-only routes are not limited
    expect(seen.read).toBe(200);
  });
});

describe("RATE_LIMIT", () => {
  it("is on unless it says off (a typo fails safe); wrangler.toml turns it on", () => {
    for (const off of ["off", "OFF", " off "]) expect(rateLimitEnabled(off), off).toBe(false);
    for (const v of ["on", "", undefined, "of", "false"]) expect(rateLimitEnabled(v), String(v)).toBe(true);
    expect(env.RATE_LIMIT).toBe("on");
  });
});
