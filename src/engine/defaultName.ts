import * as os from 'node:os';
import { nameProblem } from './protocol';

/** The name used when a person has not chosen one and their login name cannot serve. */
export const FALLBACK_NAME = 'guest';

/**
 * A candidate display name (a login, git's user.name), trimmed and cut to 32
 * characters, when a server would accept it; undefined otherwise (a login
 * like `root` or `admin` is reserved, and a server refuses the whole
 * connection over a bad name).
 */
export function usableName(candidate: string | undefined): string | undefined {
  const name = [...(candidate ?? '').trim()].slice(0, 32).join('').trim();
  return name !== '' && nameProblem(name) === undefined ? name : undefined;
}

/** The display name to offer someone who has not chosen one: their login name when usable, else "guest". */
export function defaultName(login: string | undefined = loginName()): string {
  return usableName(login) ?? FALLBACK_NAME;
}

/** This user's login name, from the system account or else the environment. */
export function loginName(): string | undefined {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // No passwd entry (some containers): the environment may still know.
  }
  return process.env.USER || process.env.USERNAME || undefined;
}
