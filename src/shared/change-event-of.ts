import { type ChangeEvent, changeEventSchema } from './jobs.js';

/**
 * The part of a System Log event (as Okta sends it, in a log page or an Event Hook delivery) that
 * the refresh mapping reads, or undefined when it lacks a uuid, type or time. Targets without an
 * id or type are left out; at most 20 are kept (the events Okta names carry two or three).
 */
export function changeEventOf(raw: unknown): ChangeEvent | undefined {
  const e = raw as { uuid?: unknown; eventType?: unknown; published?: unknown; target?: unknown } | null;
  if (typeof e?.uuid !== 'string' || typeof e.eventType !== 'string' || typeof e.published !== 'string') return undefined;
  const targets = Array.isArray(e.target)
    ? e.target.flatMap((t) => {
        const target = t as { id?: unknown; type?: unknown } | null;
        return typeof target?.id === 'string' && target.id && typeof target.type === 'string' && target.type ? [{ id: target.id, type: target.type }] : [];
      })
    : [];
  const parsed = changeEventSchema.safeParse({ uuid: e.uuid, eventType: e.eventType, published: e.published, target: targets.slice(0, 20) });
  return parsed.success ? parsed.data : undefined;
}
