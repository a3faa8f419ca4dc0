/** Fails the type check when a `switch` over a union misses a case, and throws if one slips through at run time. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
