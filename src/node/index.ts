// Node entry of the runtime API.
export { Dockyard, type DockerInfo } from '../runtime/dockyard.js';
export { formatInfo } from '../cli/format.js';
export { ArtifactError } from '../common/manifest.js';
export { GuestError, ChannelClosedError } from '../common/channel.js';
export { DockerError, NoSuchContainerError, NoSuchImageError } from '../runtime/errors.js';
export type { RunOptions, Attached, ExitStatus, ContainerInfo, Output } from '../runtime/containers.js';
export type { ImageRecord, PullEvent } from '../runtime/images.js';
export { startDockyard as createDockyard } from './cli.js';
