import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, call, errorOf, fixture, jpeg, makeApp, riceReference, uniqueProfile, upload } from "../../test/worker/harness";
import { STORE_RETRY_AFTER_SECONDS } from "./store";

// A KV binding that fails. Real KV cannot be made to fail on demand (that is the one thing a local
// Miniflare KV never does), so this wraps the test's real binding and makes the chosen operations throw
// or reject the way an outage does; everything else goes to the real KV.
type Op = "get" | "getWithMetadata" | "list" | "put";
function failingKv(ops: Op[], how: "reject" | "throw" = "reject"): KVNamespace {
  const real = env.REFERENCES;
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (ops.includes(prop as Op)) {
        return () => {
          const err = new Error(`KV ${String(prop)} failed: simulated outage (500 from the KV service)`);
          if (how === "throw") throw err;
          return Promise.reject(err);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

const profile = uniqueProfile("rice");
beforeAll(async () => {
  await upload(makeApp(), riceReference({ profile }));
});

async function expect503(res: Response) {
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  expect(res.headers.get("retry-after")).toBe(String(STORE_RETRY_AFTER_SECONDS));
  const err = await errorOf(res);
  expect(err).toMatchObject({ status: 503, code: "reference_store_unavailable" });
  expect(err.message).toMatch(/retry/i);
}

describe("a failing KV binding: 503 with Retry-After, never 500", () => {
  it.each(["reject", "throw"] as const)("POST /v1/check when reading the pointer fails (%s)", async (how) => {
    const res = await call(makeApp(), `/v1/check?profile=${profile}`, jpeg(fixture("rice-brownspot.jpg")), { REFERENCES: failingKv(["get", "getWithMetadata"], how) });
    await expect503(res);
  });

  it("POST /v1/check?version= when reading the version fails", async () => {
    const version = (await (await call(makeApp(), `/v1/profiles/${profile}/versions`)).json()) as { versions: { version: string }[] };
    const pinned = version.versions[0]!.version;
    const res = await call(makeApp(), `/v1/check?profile=${profile}&version=${pinned}`, jpeg(fixture("rice-brownspot.jpg")), { REFERENCES: failingKv(["getWithMetadata"]) });
    await expect503(res);
  });

  it("POST /v1/identify, listing the profiles or reading the named ones", async () => {
    await expect503(await call(makeApp(), "/v1/identify", jpeg(fixture("rice-brownspot.jpg")), { REFERENCES: failingKv(["list"]) }));
    await expect503(await call(makeApp(), `/v1/identify?profiles=${profile}`, jpeg(fixture("rice-brownspot.jpg")), { REFERENCES: failingKv(["get", "getWithMetadata"]) }));
  });

  it("GET /v1/profiles and a profile's versions", async () => {
    await expect503(await call(makeApp(), "/v1/profiles", {}, { REFERENCES: failingKv(["list"]) }));
    await expect503(await call(makeApp(), `/v1/profiles/${profile}/versions`, {}, { REFERENCES: failingKv(["list"]) }));
  });

  it("admin writes: storing or activating a version", async () => {
    const other = uniqueProfile("w");
    const res = await call(makeApp(), `/v1/profiles/${other}/versions?activate=true`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify(riceReference({ profile: other })),
    }, { REFERENCES: failingKv(["put"]) });
    await expect503(res);
  });

  it("answers again once KV works (a failure is not cached), and rides out an outage on what the isolate cached", async () => {
    const app = makeApp();
    await expect503(await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("rice-brownspot.jpg")), { REFERENCES: failingKv(["get", "getWithMetadata"]) }));
    const ok = await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("rice-brownspot.jpg")));
    expect(ok.status).toBe(200);
    // Pointer and version are now in this app's isolate cache: an outage within the pointer TTL does not show.
    const cached = await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("rice-brownspot.jpg")), { REFERENCES: failingKv(["get", "getWithMetadata", "list"]) });
    expect(cached.status).toBe(200);
  });
});
