// Errors the runtime API throws, each with the message Docker prints and the
// exit status the docker CLI would give.

export class DockerError extends Error {
  /** 125: the error happened before a container ran (docker's convention). */
  constructor(message: string, readonly status = 125) {
    super(message);
    this.name = 'DockerError';
  }
}

export class NoSuchImageError extends DockerError {
  constructor(ref: string) {
    super(`No such image: ${ref}`);
    this.name = 'NoSuchImageError';
  }
}

export class NoSuchContainerError extends DockerError {
  constructor(ref: string) {
    super(`No such container: ${ref}`);
    this.name = 'NoSuchContainerError';
  }
}
