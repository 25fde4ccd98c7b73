/**
 * `target` with some members replaced; every other member is the target's own, methods bound to
 * it. A Proxy rather than a copy, so members its owner adds later pass through without a change
 * here (the decorated adapters are still growing).
 */
export function overriding<T extends object>(target: T, replacements: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, key) {
      if (Object.hasOwn(replacements, key)) return replacements[key as string];
      const value: unknown = Reflect.get(t, key, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}
