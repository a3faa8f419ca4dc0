// Types for the parts of irc-framework (npm, plain JavaScript) the tests use.
declare module 'irc-framework' {
  import { EventEmitter } from 'node:events';

  /** Connection options; see irc-framework's docs/clientapi.md. */
  export interface ClientOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    tls?: boolean;
    rejectUnauthorized?: boolean;
    auto_reconnect?: boolean;
    enable_echomessage?: boolean;
    account?: { account: string; password: string };
    sasl_mechanism?: string;
    client_certificate?: { private_key: string; certificate: string };
    ping_interval?: number;
    ping_timeout?: number;
  }

  /** An IRC client: call connect(), then listen for events such as 'registered', 'join', 'privmsg', 'nick', 'close' and 'raw'. */
  export class Client extends EventEmitter {
    constructor(options?: Partial<ClientOptions>);
    connect(options?: ClientOptions): void;
    requestCap(cap: string | string[]): void;
    join(channel: string, key?: string): void;
    part(channel: string, message?: string): void;
    say(target: string, message: string, tags?: Record<string, string>): void;
    tagmsg(target: string, tags: Record<string, string>): void;
    notice(target: string, message: string, tags?: Record<string, string>): void;
    action(target: string, message: string): void;
    changeNick(nick: string): void;
    whois(target: string): void;
    raw(...input: string[]): void;
    quit(message?: string): void;
    user: { nick: string; username: string };
    /** The underlying connection; end() closes the socket. */
    connection: { end(): void };
  }
}
