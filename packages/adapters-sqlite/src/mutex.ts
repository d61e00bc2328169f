/**
 * A FIFO async mutex. `acquire()` resolves at once (no extra await) when the mutex is free.
 */
export class Mutex {
  private locked = false;
  private readonly waiters: Array<() => void> = [];

  /** Takes the mutex now if it is free; true when taken. */
  tryAcquire(): boolean {
    if (this.locked) return false;
    this.locked = true;
    return true;
  }

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Hands the mutex to the next waiter, in arrival order, or frees it. */
  release(): void {
    const next = this.waiters.shift();
    if (next === undefined) this.locked = false;
    else next();
  }

  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (!this.tryAcquire()) await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
