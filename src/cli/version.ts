import { readFileSync } from "node:fs";

/** The package version, written into references as `createdBy: "cropgate enroll <version>"`. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
