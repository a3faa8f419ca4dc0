import * as fs from 'node:fs';
import * as path from 'node:path';
import { fingerprintOf } from '../engine/identity';
import { NameClaimsFile } from '../engine/stores/nameClaimsFile';
import { StoreError } from '../engine/stores/store';

/** What `tcp-chat names` does. */
export type NamesArgs = { action: 'release'; name: string; data: string } | { action: 'list'; data: string };

/** Files only a tcp-chat data directory holds: one of them must be there before anything is written. */
const DATA_MARKS = ['rooms', 'names.jsonl', 'history-id'];

/**
 * The operator's name commands, on a server's data directory (the FileStore):
 * `release` forgets who owns a name, so the next key to use it owns it (a
 * person who lost their key gets their name back this way); `list` shows who
 * owns what. They read and append `names.jsonl` only, never the history, so
 * they are safe beside a server running on the same directory, which reads
 * what they appended at its next arrival (NameClaimsFile).
 */
export async function runNames(a: NamesArgs): Promise<number> {
  const problem = dataDirProblem(a.data);
  if (problem) {
    process.stderr.write(`tcp-chat: ${problem}\n`);
    return 1;
  }
  const file = path.join(a.data, 'names.jsonl');
  let claims: NameClaimsFile;
  try {
    claims = NameClaimsFile.load(file);
  } catch (err) {
    process.stderr.write(`tcp-chat: cannot read the name claims in ${file}: ${(err as Error).message}. Fix its permissions or move the damaged file away\n`);
    return 1;
  }
  try {
    if (a.action === 'list') {
      const entries = claims.entries();
      if (entries.length === 0) process.stdout.write(`nobody has claimed a name in ${a.data}\n`);
      for (const [name, identity] of entries) process.stdout.write(`${name}\t${fingerprintOf(identity)}\t${identity}\n`);
      return 0;
    }
    const owner = claims.owner(a.name);
    if (owner === undefined) {
      process.stderr.write(`tcp-chat: nobody has claimed "${a.name}" in ${a.data}, so there is nothing to release (tcp-chat names list --data ${a.data} shows the claims)\n`);
      return 1;
    }
    claims.release(a.name);
    process.stdout.write(
      `released "${a.name}" (it belonged to the key ${fingerprintOf(owner)}): the next key to use it owns it, ` +
        `on a server running on ${a.data} too (someone online under it now keeps it until they leave).\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`tcp-chat: ${err instanceof StoreError ? err.message : String(err)}\n`);
    return 1;
  } finally {
    claims.close();
  }
}

/** Why `dir` cannot be a server's data directory, before anything is written to it (a typo must not make a new one). */
function dataDirProblem(dir: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return `there is no data directory at ${dir}: give the --data directory the server runs with`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory: give the --data directory the server runs with`;
  if (!DATA_MARKS.some((f) => fs.existsSync(path.join(dir, f)))) return `${dir} is not a tcp-chat data directory (it holds none of ${DATA_MARKS.join(', ')}): give the --data directory the server runs with`;
  return undefined;
}
