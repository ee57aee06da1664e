import { describe, expect, it } from "vitest";
import { ApiError } from "../errors";
import { secretEquals } from "./auth";
import { decodeBase64, readImageBody } from "./body";

const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x10, 0x3e, 0x3f]);
const b64 = btoa(String.fromCharCode(...bytes)); // "/9j//gAQPj8="

describe("decodeBase64", () => {
  it("accepts standard, URL-safe, data-URL and wrapped base64", () => {
    expect(decodeBase64(b64)).toEqual(bytes);
    expect(decodeBase64(b64.replace(/\+/g, "-").replace(/\//g, "_"))).toEqual(bytes);
    expect(decodeBase64(`data:image/jpeg;base64,${b64}`)).toEqual(bytes);
    expect(decodeBase64(`${b64.slice(0, 4)}\n${b64.slice(4)}`)).toEqual(bytes);
  });
  it("refuses anything else with a 400", () => {
    for (const bad of ["not base64!", "abcde", "===="]) {
      expect(() => decodeBase64(bad), bad).toThrow(ApiError);
    }
  });
});

describe("readImageBody", () => {
  const req = (body: BodyInit, type?: string) =>
    new Request("http://x/", { method: "POST", body, headers: type ? { "content-type": type } : {} });

  it("reads raw bodies whatever the content type says", async () => {
    for (const type of [undefined, "image/jpeg", "application/octet-stream", "image/png", "text/plain"]) {
      expect(await readImageBody(req(bytes, type)), String(type)).toEqual(bytes);
    }
  });
  it("reads the one file of a multipart form and base64 JSON", async () => {
    const form = new FormData();
    form.append("anything", new File([bytes], "p.jpg"));
    expect(await readImageBody(new Request("http://x/", { method: "POST", body: form }))).toEqual(bytes);
    expect(await readImageBody(req(JSON.stringify({ image: b64 }), "application/json; charset=utf-8"))).toEqual(bytes);
  });
  it("caps the decoded image size", async () => {
    await expect(readImageBody(req(bytes, "image/jpeg"), 4)).rejects.toMatchObject({ status: 413 });
  });
});

describe("secretEquals", () => {
  it("matches only the identical secret", async () => {
    expect(await secretEquals("s3cret-token", "s3cret-token")).toBe(true);
    for (const other of ["s3cret-toke", "s3cret-tokenx", "S3cret-token", ""]) {
      expect(await secretEquals(other, "s3cret-token"), other).toBe(false);
    }
  });
});
