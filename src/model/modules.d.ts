// Module types for what wrangler's rules turn into bindings-free imports (see wrangler.toml [[rules]]).
declare module "*.onnx" {
  const bytes: ArrayBuffer; // Data rule
  export default bytes;
}
declare module "*.wasm" {
  const module: WebAssembly.Module; // CompiledWasm rule (workerd may not compile wasm from bytes)
  export default module;
}
