/**
 * The field checks every frame guard uses (parseClientFrame.ts,
 * roomFrames.ts, conversationFrames.ts, fileFrames.ts): one copy, so they
 * accept fields alike.
 */

/** A plain object: not null, not an array. */
export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
/** Absent, or a string. */
export function optStr(o: Record<string, unknown>, k: string): boolean {
  return o[k] === undefined || typeof o[k] === 'string';
}
/** Absent, or a non-negative safe integer. */
export function optInt(o: Record<string, unknown>, k: string): boolean {
  return o[k] === undefined || (Number.isSafeInteger(o[k]) && (o[k] as number) >= 0);
}
/** A message's seq: a positive safe integer. */
export function isSeq(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) > 0;
}
