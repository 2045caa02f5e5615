// Node entry of the runtime API.
import { Dockyard } from '../runtime/dockyard.js';
import { bootNodeVm, type NodeBootOptions } from './vm-host.js';

export { Dockyard, formatInfo, type DockerInfo } from '../runtime/dockyard.js';
export { ArtifactError } from '../common/manifest.js';
export { GuestError, ChannelClosedError } from '../common/channel.js';

export async function createDockyard(o: NodeBootOptions): Promise<Dockyard> {
  const { vm, boot } = await bootNodeVm(o);
  return new Dockyard(vm, boot);
}
