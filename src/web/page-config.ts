// Settings a page gives before its VM starts (embed.js `configure()`): kept
// in this small module so that setting them loads nothing else.
export type RegistryProxy = string | Readonly<Record<string, string>>;

export const pageConfig: { registryProxy?: RegistryProxy; started: boolean } = { started: false };

/**
 * `registryProxy`: a registry standing in for Docker Hub (a pull-through
 * cache sending CORS headers: docs/registry-proxy.md), or one per registry
 * host (`{ 'docker.io': url, 'ghcr.io': url2 }`).
 */
export function configure(o: { registryProxy?: RegistryProxy }): void {
  if (pageConfig.started) throw new Error('dockyard: configure() must come before the VM starts');
  if (o.registryProxy !== undefined) pageConfig.registryProxy = o.registryProxy;
}
