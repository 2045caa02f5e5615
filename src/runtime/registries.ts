// The registries a Dockyard talks to: one distribution client (fetch) with
// the user's logins, and the source pulls resolve through.
import { memoryCredentials, type CredentialStore } from './credentials.js';
import { DistributionClient, type RegistryOptions } from './distribution.js';

export class Registries {
  readonly client: DistributionClient;

  constructor(
    readonly credentials: CredentialStore = memoryCredentials(),
    readonly options: Omit<RegistryOptions, 'credentials'> = {},
  ) {
    this.client = new DistributionClient({ ...options, credentials: (d) => credentials.get(d) });
  }
}
