// When to ask the token provider again: before `exp` by the client's own timer, and at once on
// the gateway's `token_expiring`, one renewal at a time.

/** seconds before `exp` a provider's token is renewed */
export const RENEW_BEFORE_S = 30;
/** a `token_expiring` this soon after an elevation was pushed at once: see `noticed` */
const TOLD_AT_ONCE_MS = 500;
/** setTimeout's longest delay */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export class Renewal {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | null = null;
  #elevatedAt = 0;

  constructor(private readonly renew: () => Promise<void>) {}

  /** After each elevation: renew `RENEW_BEFORE_S` before `exp`, or half way when less is
   * left (at once, a provider whose tokens are that short would be asked again and again). */
  elevated(expiresAt: string): void {
    this.#elevatedAt = Date.now();
    this.cancel();
    const left = (Date.parse(expiresAt) - Date.now()) / 1000;
    const delay = left > RENEW_BEFORE_S ? left - RENEW_BEFORE_S : Math.max(0, left / 2);
    this.#timer = setTimeout(() => this.start(), Math.min(delay * 1000, LONGEST_TIMER_MS));
  }

  /** The gateway's notice about the token in place. */
  noticed(): void {
    // Pushed right after the elevation: the token was inside the notice period when it was
    // given, and a fresh one from the same provider would be too; renewing on each such
    // notice would renew without end. The timer renews it half way instead.
    if (Date.now() - this.#elevatedAt < TOLD_AT_ONCE_MS) return;
    this.start();
  }

  /** Renew now, unless a renewal is already running (the notice and the timer may both ask). */
  start(): Promise<void> {
    this.#running ??= this.renew().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
