/** Something acquired at start-up that must be closed on the way out. */
export type Releaser = () => Promise<unknown>;

/**
 * Runs releasers in reverse order of acquisition (the last thing opened closes first); one
 * failing does not stop the others, since the process is ending anyway. Empties the list.
 */
export async function runReleasers(releasers: Releaser[]): Promise<void> {
  for (const release of releasers.reverse()) {
    try {
      await release();
    } catch {
      // Closing is best effort.
    }
  }
  releasers.length = 0;
}
