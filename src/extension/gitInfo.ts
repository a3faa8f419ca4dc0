import { execFile } from 'node:child_process';

/** What git knows about where a file lives: the remote and the checked-out commit. */
export interface GitOrigin {
  remote?: string;
  commit?: string;
}

/** Runs git with a short timeout; undefined when git is missing, fails, or prints nothing. */
function git(args: string[], cwd: string | undefined): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 3000, windowsHide: true, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (err, stdout) => {
      const out = String(stdout ?? '').trim();
      resolve(err || !out ? undefined : out);
    });
  });
}

/** git's `user.name` as seen from `cwd` (repository config, then global and system). */
export function gitUserName(cwd: string | undefined): Promise<string | undefined> {
  return git(['config', '--get', 'user.name'], cwd);
}

/**
 * The remote and commit of the repository holding `dir`, when there is one.
 * The remote is `origin` when it exists, else the first one; credentials in
 * it are removed, since the snippet goes to everyone in the room.
 */
export async function gitOrigin(dir: string): Promise<GitOrigin> {
  const [commit, remotes] = await Promise.all([git(['rev-parse', 'HEAD'], dir), git(['remote'], dir)]);
  const names = remotes?.split(/\r?\n/).filter(Boolean) ?? [];
  const name = names.includes('origin') ? 'origin' : names[0];
  const url = name ? await git(['remote', 'get-url', name], dir) : undefined;
  return {
    ...(url && { remote: withoutCredentials(url) }),
    ...(commit && /^[0-9a-f]{40,64}$/.test(commit) && { commit }),
  };
}

/** `https://user:token@host/x` → `https://host/x`; scp-like `git@host:x` stays as it is. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url;
  }
}
