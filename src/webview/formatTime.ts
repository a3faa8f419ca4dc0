// Intl formatters are costly to build; make each once.
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

function parse(ts: string): Date | undefined {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** "14:05" in the user's locale, or "" for an unparseable timestamp. */
export function formatTime(ts: string): string {
  const d = parse(ts);
  return d ? timeFmt.format(d) : '';
}

/** Full date and time for a tooltip. */
export function formatFullTime(ts: string): string {
  const d = parse(ts);
  return d ? fullFmt.format(d) : '';
}

/** Local calendar day of `ts` as a sortable key ("2026-11-26"), or "" when unparseable. */
export function dayKey(ts: string): string {
  const d = parse(ts);
  if (!d) return '';
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Label for a day separator: "Today", "Yesterday", a weekday and date, or a full date in another year. */
export function formatDay(key: string, now = new Date()): string {
  if (!key) return 'Unknown date';
  const [y, m, d] = key.split('-').map(Number);
  const day = new Date(y, m - 1, d);
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const diff = Math.round((today.getTime() - day.getTime()) / 86_400_000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return y === now.getFullYear() ? dayFmt.format(day) : dayYearFmt.format(day);
}
