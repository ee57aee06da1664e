// Seeds reference JSON files into the local KV of `wrangler dev`, idempotently.
// Usage: tsx scripts/seed.ts [models/references/rice.json ...]
import { seedLocalReference } from "./local-kv";

const files = process.argv.slice(2);
for (const file of files.length > 0 ? files : ["models/references/rice.json"]) {
  try {
    const result = await seedLocalReference(file);
    console.log(
      result.status === "unchanged"
        ? `seed: ${file} is already current (${result.current.version}) in local KV`
        : `seed: ${file} stored as ${result.version.version} and activated in local KV`,
    );
  } catch (err) {
    console.error(`seed: cannot seed ${file}: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
