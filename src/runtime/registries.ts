// The registries a Dockyard talks to: one distribution client (fetch) with
// the user's logins, and the source pulls resolve through.
import { memoryCredentials, type CredentialStore } from './credentials.js';
import { DistributionClient, type RegistryOptions } from './distribution.js';

export class Registries {
  readonly client: DistributionClient;
  /** The user's logins; a login or logout through it drops what the client made from the old one. */
  readonly credentials: CredentialStore;

  constructor(
    store: CredentialStore = memoryCredentials(),
    readonly options: Omit<RegistryOptions, 'credentials'> = {},
  ) {
    const client = new DistributionClient({ ...options, credentials: (d) => store.get(d) });
    this.client = client;
    this.credentials = {
      ...(store.where !== undefined ? { where: store.where } : {}),
      get: (d) => store.get(d),
      set: async (d, c) => {
        await store.set(d, c);
        client.forget(d);
      },
      remove: async (d) => {
        const had = await store.remove(d);
        client.forget(d);
        return had;
      },
    };
  }
}
