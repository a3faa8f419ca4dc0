/**
 * Freezes an event and everything in it, so a listener that changes what
 * every listener shares fails at once (Bus.publish: the bus takes the event).
 * Once per event on every message's path: `for…in` walks the keys without
 * the array Object.values would allocate, and a part already frozen (a
 * stored message) is not walked again.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    const o = value as Record<string, unknown>;
    for (const k in o) deepFreeze(o[k]);
  }
  return value;
}
