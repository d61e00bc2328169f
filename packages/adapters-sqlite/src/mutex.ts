/** What a waiter will do with the mutex: a store transaction may join an open group commit. */
export type MutexUse = 'transaction' | 'other';

/**
 * A FIFO async mutex. `acquire()` resolves at once (no extra await) when the mutex is free.
 */
export class Mutex {
  private locked = false;
  private readonly waiters: Array<{ use: MutexUse; wake: () => void }> = [];

  /** Takes the mutex now if it is free; true when taken. */
  tryAcquire(): boolean {
    if (this.locked) return false;
    this.locked = true;
    return true;
  }

  acquire(use: MutexUse = 'other'): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((wake) => this.waiters.push({ use, wake }));
  }

  /** What the waiter next in line will do, or undefined when nobody waits. */
  nextUse(): MutexUse | undefined {
    return this.waiters[0]?.use;
  }

  /** Hands the mutex to the next waiter, in arrival order, or frees it. */
  release(): void {
    const next = this.waiters.shift();
    if (next === undefined) this.locked = false;
    else next.wake();
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
