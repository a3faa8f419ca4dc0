import { chooseDefaultName, gitUserName, loginName, suggestedName, usableName } from '../engine/defaultName';
import type { Identity } from '../engine/identity';
import { nameProblem } from '../engine/protocol';
import { askLine, canAsk } from './ask';

/**
 * The name to use when none was given: the login name, or, when a server
 * would refuse it (root…), never a quiet stand-in: a person at a terminal is
 * asked, with a suggestion; without a terminal the suggestion is used and one
 * line says why.
 */
export async function chooseName(identity: Identity | undefined): Promise<string> {
  const choice = chooseDefaultName(loginName(), () => suggestedName(gitUserName(), identity?.id));
  if (choice.why === undefined) return choice.name;
  if (!canAsk()) {
    process.stderr.write(`tcp-chat: ${choice.why}; connecting as "${choice.name}" (choose one with --name NAME)\n`);
    return choice.name;
  }
  process.stdout.write(`${choice.why[0].toUpperCase()}${choice.why.slice(1)}.\n`);
  for (;;) {
    const typed = (await askLine(`Name to chat under [${choice.name}]: `)).trim();
    if (typed === '') return choice.name;
    const usable = usableName(typed);
    if (usable !== undefined) return usable;
    process.stdout.write(`That name cannot be used: ${nameProblem(typed) ?? 'a server would refuse it'}.\n`);
  }
}
