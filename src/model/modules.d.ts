// `*.wasm` imports are precompiled modules (wrangler's default CompiledWasm rule); `wrangler types`
// declares `*.onnx` (our Data rule) in worker-configuration.d.ts.
declare module "*.wasm" {
  const module: WebAssembly.Module; // CompiledWasm rule (workerd may not compile wasm from bytes)
  export default module;
}
