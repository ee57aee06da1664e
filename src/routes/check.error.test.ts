import { beforeAll, describe, expect, it } from "vitest";
import { call, errorOf, fixture, jpeg, makeApp, riceReference, uniqueProfile, upload } from "../../test/worker/harness";
import { MAX_IMAGE_BYTES, MAX_IMAGE_REQUEST_BYTES } from "../http/body";

const app = makeApp();
const profile = uniqueProfile("rice");

beforeAll(async () => {
  await upload(app, riceReference({ profile }));
});

const post = (init: RequestInit, query = `profile=${profile}`) => call(app, `/v1/check?${query}`, { method: "POST", ...init });

describe("POST /v1/check (errors are JSON with the right status)", () => {
  it("400 for an empty body", async () => {
    expect(await errorOf(await post({ body: new Uint8Array(0) }))).toMatchObject({ status: 400, code: "empty_body" });
    expect(await errorOf(await post({}))).toMatchObject({ status: 400, code: "empty_body" });
  });

  it.each(["tiny.png", "tiny.heic", "tiny.webp", "tiny.gif", "tiny.avif", "tiny.bmp", "tiny.tif"])(
    "415 for %s, naming what to do, whatever the content-type says",
    async (name) => {
      const err = await errorOf(await call(app, `/v1/check?profile=${profile}`, jpeg(fixture(`variants/${name}`))));
      expect(err.status).toBe(415);
      expect(err.message).toMatch(/JPEG/);
    },
  );

  it("422 for a truncated JPEG, 413 for a header declaring 65535 × 65535", async () => {
    const truncated = await errorOf(await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("variants/coffee-truncated.jpg"))));
    expect([400, 422]).toContain(truncated.status);
    const huge = await errorOf(await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("variants/sof-65535x65535.jpg"))));
    expect(huge.status).toBe(413);
  });

  it("413 for a body over the limit, from Content-Length before reading and while streaming without it", async () => {
    const declared = await post({ headers: { "content-type": "image/jpeg", "content-length": String(MAX_IMAGE_REQUEST_BYTES + 1) }, body: "x" });
    expect(await errorOf(declared)).toMatchObject({ status: 413, code: "payload_too_large" });
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_IMAGE_REQUEST_BYTES + chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await post({ headers: { "content-type": "image/jpeg" }, body: stream });
    expect(await errorOf(streamed)).toMatchObject({ status: 413, code: "payload_too_large" });
    // Raw bodies are capped at the image limit, below the (base64-sized) request limit.
    const raw = await post({ headers: { "content-type": "image/jpeg" }, body: new Uint8Array(MAX_IMAGE_BYTES + 1) });
    expect((await errorOf(raw)).status).toBe(413);
  });

  it("400 for multipart bodies without exactly one file, or malformed", async () => {
    const none = new FormData();
    none.append("text", "no file here");
    expect(await errorOf(await post({ body: none }))).toMatchObject({ status: 400, code: "no_file" });
    const two = new FormData();
    two.append("a", new File([fixture("coffee.jpg")], "a.jpg"));
    two.append("b", new File([fixture("coffee.jpg")], "b.jpg"));
    expect(await errorOf(await post({ body: two }))).toMatchObject({ status: 400, code: "multiple_files" });
    const broken = await post({ headers: { "content-type": "multipart/form-data; boundary=zzz" }, body: "--nope\r\n\r\nx" });
    expect((await errorOf(broken)).status).toBe(400);
  });

  it("400 for JSON that is malformed, lacks image, or is not base64", async () => {
    const json = (body: string) => post({ headers: { "content-type": "application/json" }, body });
    expect(await errorOf(await json("{nope"))).toMatchObject({ status: 400, code: "invalid_json" });
    expect(await errorOf(await json('{"img":"abc"}'))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await json('{"image":42}'))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await json('{"image":"***not base64***"}'))).toMatchObject({ status: 400, code: "invalid_base64" });
    expect((await errorOf(await json('{"image":"aGVsbG8="}'))).status).toBe(415); // valid base64 of "hello"
  });

  it("400 for an invalid profile or version in the query, 404 for unknown ones", async () => {
    const body = fixture("coffee.jpg");
    expect(await errorOf(await call(app, "/v1/check?profile=Not_Valid!", jpeg(body)))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await call(app, `/v1/check?profile=${profile}&version=1`, jpeg(body)))).toMatchObject({ status: 400 });
    expect(await errorOf(await call(app, `/v1/check?profile=${uniqueProfile()}`, jpeg(body)))).toMatchObject({ status: 404, code: "profile_not_found" });
    const unknownVersion = await call(app, `/v1/check?profile=${profile}&version=20991231T000000000Z-000000000000`, jpeg(body));
    expect(await errorOf(unknownVersion)).toMatchObject({ status: 404, code: "version_not_found" });
  });

  it("503 when the default profile has no reference yet, or a profile has none active", async () => {
    const fresh = uniqueProfile();
    const res = await call(app, "/v1/check", jpeg(fixture("coffee.jpg")), { DEFAULT_PROFILE: fresh });
    expect(await errorOf(res)).toMatchObject({ status: 503, code: "no_reference" });
    const inactive = uniqueProfile();
    await upload(app, riceReference({ profile: inactive }), { activate: false });
    expect(await errorOf(await call(app, `/v1/check?profile=${inactive}`, jpeg(fixture("coffee.jpg"))))).toMatchObject({ status: 503 });
  });

  it("never answers 500 to nasty inputs (fuzz)", async () => {
    const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const rand = rng(42);
    const bytes = (n: number, prefix: number[] = []) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
      b.set(prefix);
      return b;
    };
    const coffee = fixture("coffee.jpg");
    const bodies: Array<[string, RequestInit]> = [
      ["random bytes", jpeg(bytes(5000))],
      ["JPEG magic then garbage", jpeg(bytes(5000, [0xff, 0xd8, 0xff, 0xe0]))],
      ["SOI + EOI only", jpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]))],
      ["first half of a JPEG", jpeg(coffee.slice(0, coffee.length >> 1))],
      ["JPEG with flipped bytes", jpeg(coffee.map((b, i) => (i > 600 && i % 97 === 0 ? b ^ 0xff : b)))],
      ["JSON null", { headers: { "content-type": "application/json" }, body: "null" }],
      ["JSON array", { headers: { "content-type": "application/json" }, body: "[1,2,3]" }],
      ["deep JSON", { headers: { "content-type": "application/json" }, body: "[".repeat(100000) }],
      ["multipart without boundary", { headers: { "content-type": "multipart/form-data" }, body: "abc" }],
      ["text", { headers: { "content-type": "text/plain" }, body: "hello" }],
    ];
    for (const [name, init] of bodies) {
      const res = await post(init);
      expect(res.status, name).toBeGreaterThanOrEqual(400);
      expect(res.status, name).toBeLessThan(500);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(typeof body.error.code, name).toBe("string");
      expect(body.error.message.length, name).toBeGreaterThan(0);
    }
  });
});
