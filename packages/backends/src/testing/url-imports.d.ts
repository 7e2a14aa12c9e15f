// Vite's `?url` imports (used by the browser tests to serve tfjs-backend-wasm's binaries).
declare module '*?url' {
  const url: string;
  export default url;
}
