import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { fingerprintOf } from './identity';
import { nameProblem } from './protocol';

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

/** The name to offer someone who has not chosen one; `why` is set when it is not their login name, for a person to read. */
export interface NameChoice {
  name: string;
  /** Why the login name cannot serve (absent when `name` is the login name). */
  why?: string;
}

/**
 * The login name (see loginName) when a server would accept it. Otherwise a
 * suggestion (see suggestedName) and the reason, so a caller can ask the person or at
 * least tell them, rather than quietly picking a name they did not choose.
 */
export function chooseDefaultName(login: string | undefined, suggest: () => string): NameChoice {
  const usable = usableName(login);
  if (usable !== undefined) return { name: usable };
  const trimmed = (login ?? '').trim();
  const why = trimmed === '' ? 'this system does not say your login name' : `your login name "${trimmed}" cannot be a chat name (${nameProblem(trimmed) ?? 'a server would refuse it'})`;
  return { name: suggest(), why };
}

/**
 * A name to suggest when the login cannot serve: git's user.name when a
 * server would accept it, else `user-` and four hex digits, taken from the
 * identity's fingerprint when there is one (so it is the same every run, and
 * a name the key already owns) and random otherwise.
 */
export function suggestedName(gitName: string | undefined, identityId?: string): string {
  return usableName(gitName) ?? `user-${identityId !== undefined ? fingerprintOf(identityId).slice(0, 4) : randomBytes(2).toString('hex')}`;
}

/** git's `user.name`, or undefined when git is missing, slow, or has none. */
export function gitUserName(): string | undefined {
  try {
    const name = execFileSync('git', ['config', '--get', 'user.name'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true }).trim();
    return name || undefined;
  } catch {
    return undefined;
  }
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
