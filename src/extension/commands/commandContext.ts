import type * as vscode from 'vscode';
import type { ChatSession } from '../chatSession';
import type { Connector } from '../connector';
import type { ServerHost } from '../serverHost';
import type { ServerTrust } from '../serverTrust';
import type { CommandIdValue } from '../commandIds';
import type { IdentityKeeper } from '../identityKeeper';

/** What commands work with; built once in activate() and handed to each command module. */
export interface CommandContext {
  session: ChatSession;
  host: ServerHost;
  trust: ServerTrust;
  connector: Connector;
  /** This person's identity key, in SecretStorage. */
  identities: IdentityKeeper;
  log: vscode.LogOutputChannel;
  /** Settles when the settings migration is done; commands wait for it so they read the moved values. */
  ready: Promise<unknown>;
}

/** A command module's commands: id to handler. Arguments come from callers (tests, links, other commands). */
export type CommandTable = Partial<Record<CommandIdValue, (...args: never[]) => unknown>>;
