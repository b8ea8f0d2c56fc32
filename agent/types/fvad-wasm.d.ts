// @echogarden/fvad-wasm ships no types: an Emscripten module factory.
declare module "@echogarden/fvad-wasm" {
  const factory: () => Promise<unknown>;
  export default factory;
}
