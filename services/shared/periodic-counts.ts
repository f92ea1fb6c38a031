import type { Logger } from './logger.ts';

/**
 * Counts repeated events by key and logs the counts once per interval, so
 * that an overload or an outage writes one line every few seconds instead
 * of one per request. An interval with no events logs nothing.
 */
export class PeriodicCounts {
  readonly #logger: Logger;
  readonly #message: string;
  readonly #intervalMs: number;
  #counts = new Map<string, number>();
  #lastError: string | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(logger: Logger, message: string, intervalMs = 10_000) {
    this.#logger = logger;
    this.#message = message;
    this.#intervalMs = intervalMs;
  }

  /** Adds `amount` to the count of `key`; `error` is kept as the interval's example cause. */
  add(key: string, amount = 1, error?: unknown): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + amount);
    if (error !== undefined) this.#lastError = error instanceof Error ? error.message : String(error);
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), this.#intervalMs);
      // A pending report must not keep a stopping process alive.
      this.#timer.unref();
    }
  }

  /** Logs and resets the counts now; the services call it when they stop. */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#counts.size === 0) return;
    const counts = Object.fromEntries(this.#counts);
    const fields = this.#lastError === null ? { counts } : { counts, lastError: this.#lastError };
    this.#counts = new Map();
    this.#lastError = null;
    this.#logger.warn(fields, this.#message);
  }
}
