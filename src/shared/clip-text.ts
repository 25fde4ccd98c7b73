/**
 * Error text is bounded wherever it is stored, logged or returned (run.error, BullMQ's
 * `failedReason`, log lines, API responses): an org may answer with an 8 MiB `errorSummary`,
 * and each copy of it would be kept for days.
 */
export const MAX_ERROR_TEXT_BYTES = 2048;

const MARK = '… (truncated)';

/** `text` if it fits in `maxBytes` of UTF-8, else its longest prefix that does, plus a marker. */
export function clipText(text: string, maxBytes: number = MAX_ERROR_TEXT_BYTES): string {
  // Fast path: no UTF-8 character is longer than 3 bytes per UTF-16 unit.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const room = Math.max(0, maxBytes - Buffer.byteLength(MARK, 'utf8'));
  // Only a prefix of `room` units can fit; cut there, then drop a broken character at the end.
  let prefix = Buffer.from(text.slice(0, room), 'utf8').subarray(0, room).toString('utf8');
  if (prefix.endsWith('\uFFFD') && !text.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix + MARK;
}
