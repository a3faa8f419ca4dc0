/** Strip terminal control sequences so remote text cannot repaint the screen. */
export function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** A timestamp as the terminal shows it: local HH:MM. */
export function time(ts: string): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? '--:--' : d.toTimeString().slice(0, 5);
}
