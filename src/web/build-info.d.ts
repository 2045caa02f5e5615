// Provided by the `dockyard-assets` Vite plugin (build/dockyard-assets.ts).
declare module 'virtual:dockyard-build' {
  /** absolute URL of each guest artifact (ARTIFACTS in src/common/manifest.ts) */
  export const artifactUrls: Record<import('../common/manifest.js').ArtifactName, string>;
  /** absolute URL of the bundled registry's folder (ends with '/') */
  export const registryBase: string;
  /** v86.wasm is not in the artifact manifest: its digest comes from the build */
  export const v86Wasm: { sha256: string; size: number };
  /** the installed v86's version (what a saved state's stamp must name) */
  export const v86Version: string;
  /** images `dockyard mirror` copied for this site, beside the bundled ones: repository → its index.json's sha256 and size */
  export const mirrorRegistry: Record<string, { index: string; size: number }>;
  /** the catalog build's catalog.json, when `npm run build` found one (src/common/catalog.ts) */
  export const catalogManifest: import('../common/catalog.js').CatalogManifest | undefined;
  /** layers the build made lazy (src/common/store/lazy-layer.ts): layer digest → its file index's digest; the files under registryBase + LAZY_DIR */
  export const lazyLayers: Record<string, string>;
  /** the saved guest state (manifest.state.file), when the build has one */
  export const stateUrl: string | undefined;
}
