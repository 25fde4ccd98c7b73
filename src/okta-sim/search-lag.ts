import type { SimUser } from './org-model.js';

/**
 * Okta's user search is eventually consistent: for a moment after a change, `search`/`filter`
 * still see the user as it was (a new user not at all, a deleted one still there). With a lag of
 * `lagMs` this keeps, per changed user, the version the index still holds. 0 = no lag (default).
 */
export class SearchLag {
  /** userId → the version search still shows (undefined: not indexed yet) and since when it is stale. */
  private readonly stale = new Map<string, { indexed: SimUser | undefined; changedAtMs: number }>();

  constructor(readonly lagMs: number) {}

  /** Called before a user changes; `before` is undefined for a new user. The oldest pending version wins. */
  noteChange(userId: string, before: SimUser | undefined, nowMs: number): void {
    if (this.lagMs <= 0) return;
    this.prune(nowMs);
    if (!this.stale.has(userId)) this.stale.set(userId, { indexed: before, changedAtMs: nowMs });
  }

  /** True while some change is not yet visible to search (callers must not cache search answers then). */
  pending(nowMs: number): boolean {
    this.prune(nowMs);
    return this.stale.size > 0;
  }

  /** What search sees: `current` (sorted by id) with every not-yet-indexed change undone. */
  view(current: readonly SimUser[], nowMs: number): SimUser[] {
    if (!this.pending(nowMs)) return [...current];
    const out = current.filter((user) => !this.stale.has(user.id));
    for (const { indexed } of this.stale.values()) if (indexed) out.push(indexed);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private prune(nowMs: number): void {
    for (const [id, entry] of this.stale) if (nowMs - entry.changedAtMs >= this.lagMs) this.stale.delete(id);
  }
}
