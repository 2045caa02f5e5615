// Notices a guest that stopped answering (a hang, a panic, a wedged daemon):
// a PING every `intervalMs`; `misses` unanswered in a row (each given
// `timeoutMs`) means the VM is gone. Generous on purpose: the daemon is
// legitimately busy for a while when it unpacks a big layer.

export interface WatchdogOptions {
  intervalMs?: number;
  timeoutMs?: number;
  misses?: number;
}

export class Watchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private missed = 0;
  private stopped = false;

  constructor(
    private readonly ping: (timeoutMs: number) => Promise<unknown>,
    private readonly onDead: (reason: string) => void,
    private readonly o: Required<WatchdogOptions> = { intervalMs: 3000, timeoutMs: 5000, misses: 3 },
  ) {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), this.o.intervalMs);
  }

  private async beat(): Promise<void> {
    try {
      await this.ping(this.o.timeoutMs);
      this.missed = 0;
    } catch (e) {
      if (this.stopped) return;
      this.missed++;
      if (this.missed >= this.o.misses) {
        this.stop();
        this.onDead(`no answer to ${this.missed} heartbeats (${(e as Error).message})`);
        return;
      }
    }
    this.schedule();
  }
}
