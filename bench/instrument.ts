// Bench-only: imported by bench/worker.ts before anything else, so src/model/ort-wasm.ts captures this
// wrapper as "the original" WebAssembly.instantiate. It times ORT's wasm instantiation and keeps the
// instance's memory, so the bench worker can split the cold first verdict and report ORT's wasm memory.

export const wasm: { instantiateMs: number | null; memory: WebAssembly.Memory | null } = { instantiateMs: null, memory: null };

function findMemory(...objects: unknown[]): WebAssembly.Memory | null {
  for (const o of objects) {
    if (o instanceof WebAssembly.Memory) return o;
    if (o && typeof o === "object") {
      for (const v of Object.values(o)) {
        if (v instanceof WebAssembly.Memory) return v;
        if (v && typeof v === "object") for (const w of Object.values(v)) if (w instanceof WebAssembly.Memory) return w;
      }
    }
  }
  return null;
}

const original = WebAssembly.instantiate;
WebAssembly.instantiate = async function instantiate(source: unknown, imports?: WebAssembly.Imports) {
  const t0 = performance.now();
  const result = (await (original as (...a: unknown[]) => Promise<unknown>).call(WebAssembly, source, imports)) as
    | WebAssembly.Instance
    | WebAssembly.WebAssemblyInstantiatedSource;
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  if (source instanceof WebAssembly.Module) {
    wasm.instantiateMs = performance.now() - t0;
    wasm.memory = findMemory(instance.exports, imports);
  }
  return result;
} as typeof WebAssembly.instantiate;
