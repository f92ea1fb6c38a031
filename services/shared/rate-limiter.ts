// A token bucket per key. Buckets refill continuously at `perSecond` tokens a
// second up to `burst`; a request takes one token or is refused.

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

export class RateLimiter {
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  /** perSecond 0 lets everything through. */
  constructor(perSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#now = now;
  }

  /** Takes a token for the key; false when its bucket is empty. */
  tryTake(key: string): boolean {
    if (this.#perSecond === 0) return true;
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      // Bounds memory when many identities come and go: full buckets carry no state worth keeping.
      if (this.#buckets.size >= 100_000) this.#dropFullBuckets(now);
      bucket = { tokens: this.#burst, updatedAtMs: now };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.updatedAtMs) / 1000) * this.#perSecond);
    bucket.updatedAtMs = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #dropFullBuckets(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.updatedAtMs) / 1000) * this.#perSecond >= this.#burst) this.#buckets.delete(key);
    }
  }
}
