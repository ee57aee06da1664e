import { describe, expect, it } from "vitest";
import { call, makeApp, manifest } from "../../test/worker/harness";

const app = makeApp();

describe("GET /health and GET /openapi.json", () => {
  it("reports the model without loading it", async () => {
    const res = await call(app, "/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", model: { id: manifest.model.id, sha256: manifest.model.sha256 }, defaultProfile: "rice" });
  });

  it("serves an OpenAPI 3.1 document with every route, the error shape and both security schemes", async () => {
    const doc = (await (await call(app, "/openapi.json")).json()) as any;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/health",
        "/v1/check",
        "/v1/identify",
        "/v1/profiles",
        "/v1/profiles/{profile}/current",
        "/v1/profiles/{profile}/versions",
        "/v1/profiles/{profile}/versions/{version}",
      ].sort(),
    );
    expect(Object.keys(doc.paths["/v1/check"].post.requestBody.content).sort()).toEqual(
      ["application/json", "application/octet-stream", "image/jpeg", "multipart/form-data"],
    );
    expect(doc.paths["/v1/check"].post.responses["200"].content["application/json"].schema.$ref).toBe("#/components/schemas/CheckResult");
    expect(doc.components.schemas.Error).toBeDefined();
    expect(doc.components.schemas.Reference).toBeDefined();
    expect(doc.components.securitySchemes).toEqual({
      adminToken: { type: "http", scheme: "bearer" },
      apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
    });
    expect(doc.paths["/v1/profiles/{profile}/current"].put.security).toEqual([{ adminToken: [] }]);
    expect(doc.paths["/v1/identify"].post.requestBody).toEqual(doc.paths["/v1/check"].post.requestBody);
  });

  it("gives every operation a unique operationId and a declared tag (generated clients get real names)", async () => {
    const doc = (await (await call(app, "/openapi.json")).json()) as any;
    const declared = new Set(doc.tags.map((t: { name: string }) => t.name));
    const ops = Object.values(doc.paths).flatMap((item: any) => Object.values(item)) as { operationId?: string; tags?: string[] }[];
    expect(ops.length).toBe(8);
    for (const op of ops) {
      expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.tags?.length).toBeGreaterThan(0);
      for (const t of op.tags!) expect(declared.has(t)).toBe(true);
    }
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    expect(doc.paths["/v1/check"].post.operationId).toBe("checkPhoto");
  });
});
