import * as ort from "onnxruntime-web/wasm";
import ortWasmModule from "onnxruntime-web/ort-wasm-simd-threaded.wasm";

/**
 * Makes onnxruntime-web's WebAssembly backend start inside workerd.
 *
 * workerd refuses to compile wasm from bytes, so the wasm must arrive precompiled (a CompiledWasm
 * module). ort 1.30 forwards only numThreads/wasmBinary/locateFile to its emscripten glue (no
 * instantiateWasm hook), and with `wasmBinary` set the glue calls
 * `WebAssembly.instantiate(new Uint8Array(wasmBinary), imports)`. We hand ort a small sentinel buffer
 * as `wasmBinary` and, only while ort initialises, wrap `WebAssembly.instantiate` so that a call on
 * that sentinel instantiates the precompiled module instead; every other call passes through, and the
 * original function is restored afterwards. This rests on ort internals: `ort-wasm.test.ts` guards it
 * and onnxruntime-web is pinned exactly.
 */
const SENTINEL = new ArrayBuffer(8);

function isSentinel(source: unknown): boolean {
  return source === SENTINEL || (ArrayBuffer.isView(source) && source.buffer === SENTINEL);
}

/** Configures ort once per isolate and returns it; the backend itself initialises on first session. */
export function configureOrt(): typeof ort {
  ort.env.wasm.numThreads = 1; // no SharedArrayBuffer workers in Workers
  ort.env.wasm.proxy = false; // no Web Worker proxy either
  ort.env.wasm.wasmBinary = SENTINEL;
  ort.env.logLevel = "error";
  return ort;
}

const original = WebAssembly.instantiate;
const patched = async function instantiate(source: unknown, imports?: WebAssembly.Imports) {
  if (isSentinel(source)) {
    const instance = await original.call(WebAssembly, ortWasmModule, imports);
    return { instance, module: ortWasmModule };
  }
  return (original as (...args: unknown[]) => unknown).call(WebAssembly, source, imports);
} as typeof WebAssembly.instantiate;
// Overlapping callers (e.g. two sessions created at once) share one installation of the wrapper.
let holders = 0;

/**
 * Runs `fn` (which makes ort initialise its wasm backend, e.g. by creating a session) with the
 * sentinel-aware `WebAssembly.instantiate` installed, and uninstalls it when the last overlapping
 * caller is done.
 */
export async function withPrecompiledWasm<T>(fn: (runtime: typeof ort) => Promise<T>): Promise<T> {
  const runtime = configureOrt();
  if (holders++ === 0) WebAssembly.instantiate = patched;
  try {
    return await fn(runtime);
  } finally {
    if (--holders === 0 && WebAssembly.instantiate === patched) WebAssembly.instantiate = original;
  }
}
