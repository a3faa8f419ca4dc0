import * as os from 'node:os';
import { nameProblem } from './protocol';

/** The name used when a person has not chosen one and their login name cannot serve. */
export const FALLBACK_NAME = 'guest';

/**
 * The display name to offer someone who has not chosen one: their login
 * name, cut to 32 characters, when the server would accept it; otherwise
 * "guest" (a login like `root` or `admin` is a reserved name, and a server
 * would refuse the whole connection over it).
 */
export function defaultName(login: string | undefined = loginName()): string {
  const name = [...(login ?? '').trim()].slice(0, 32).join('').trim();
  return name !== '' && nameProblem(name) === undefined ? name : FALLBACK_NAME;
}

/** This user's login name, from the system account or else the environment. */
function loginName(): string | undefined {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // No passwd entry (some containers): the environment may still know.
  }
  return process.env.USER ?? process.env.USERNAME;
}
