export function buildNode(root: string, opts?: { force?: boolean }): Promise<{ cli: string; worker: string }>;
