import * as readline from 'node:readline';
import { ChatClient, ConnectError } from '../engine/chatClient';
import { DEFAULT_ROOM, isDmKey, type ChatMessage } from '../engine/protocol';

/** Flags of `tcp-chat connect`. */
export interface ConnectArgs {
  host: string;
  port: number;
  name: string;
}

/** Strip terminal control sequences so remote text cannot repaint the screen. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

function time(ts: string): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? '--:--' : d.toTimeString().slice(0, 5);
}

/** An interactive terminal client. Resolves with the exit code. */
export async function runConnect(a: ConnectArgs): Promise<number> {
  const client = new ChatClient({ host: a.host, port: a.port, name: a.name });
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  let room = DEFAULT_ROOM;
  const print = (line: string) => {
    if (process.stdin.isTTY) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
    }
    process.stdout.write(line + '\n');
    if (process.stdin.isTTY) rl.prompt(true);
  };
  const show = (m: ChatMessage) => {
    const where = isDmKey(m.room) ? (m.sender === client.name ? `-> ${m.to}` : '(dm)') : m.room === room ? '' : `#${m.room}`;
    const body = m.snippet ? `${m.text}\n${clean(m.snippet.code)}` : m.text;
    print(`[${time(m.ts)}] ${where ? where + ' ' : ''}<${clean(m.sender)}> ${clean(body)}`);
  };
  client.onMessage(show);
  client.onPresence((p) => {
    if (p.event === 'online') print(`* ${clean(p.name)} is online`);
    else if (p.event === 'offline') print(`* ${clean(p.name)} went offline`);
    else if (p.event === 'rename') print(`* ${clean(p.from ?? '')} is now ${clean(p.name)}`);
    else if (p.room === room) print(`* ${clean(p.name)} ${p.event === 'join' ? 'joined' : 'left'} #${p.room}`);
  });
  client.onJoined((j) => {
    room = j.room;
    print(`* now in #${j.room} with ${j.members.map(clean).join(', ')}`);
    for (const m of j.history) show(m);
  });
  client.onServerError((e) => print(`! ${clean(e.message)} (${e.code})`));
  client.onSendFailed((f) => print(`! not sent: ${clean(f.error.message)}`));
  client.onDropped((why) => print(`! ${why}; reconnecting…`));
  client.onState((s) => {
    if (s === 'connected' && client.welcome) print(`* connected to ${client.address} as ${client.name}`);
  });

  try {
    const w = await client.connect();
    print(`* ${w.users.length} online: ${w.users.map(clean).join(', ')}`);
    for (const m of w.history) show(m);
  } catch (err) {
    rl.close();
    process.stderr.write(`tcp-chat: ${err instanceof ConnectError ? err.message : String(err)}\n`);
    return 1;
  }
  rl.setPrompt(`${room}> `);
  rl.prompt();

  return new Promise((resolve) => {
    const quit = () => {
      client.dispose();
      rl.close();
      resolve(0);
    };
    rl.on('close', () => {
      client.dispose();
      resolve(0);
    });
    rl.on('line', (input) => {
      const line = input.trim();
      if (!line) return rl.prompt();
      if (!line.startsWith('/')) {
        client.send(line, { room });
        return rl.prompt();
      }
      const [cmd, arg = '', ...more] = line.split(/\s+/);
      const text = line.slice(line.indexOf(arg) + arg.length).trim();
      switch (cmd) {
        case '/quit':
        case '/exit':
          return quit();
        case '/join':
          if (!arg) print('usage: /join ROOM');
          else client.join(arg);
          break;
        case '/leave':
          client.leave(arg || room);
          if ((arg || room) === room) room = DEFAULT_ROOM;
          break;
        case '/msg':
          if (!arg || more.length === 0) print('usage: /msg NAME TEXT');
          else client.send(text, { to: arg });
          break;
        case '/who':
          client.who().then(
            (u) => print(`* ${u.length} online: ${u.map(clean).join(', ')}`),
            (e: Error) => print(`! ${e.message}`),
          );
          break;
        case '/nick':
          if (!arg) print('usage: /nick NAME');
          else client.rename(arg);
          break;
        case '/history':
          client.history(room, { limit: 20 }).then(
            (h) => h.messages.forEach(show),
            (e: Error) => print(`! ${e.message}`),
          );
          break;
        case '/search':
          client.search(line.slice('/search'.length).trim()).then(
            (r) => {
              print(`* ${r.messages.length} found`);
              r.messages.forEach(show);
            },
            (e: Error) => print(`! ${e.message}`),
          );
          break;
        default:
          print(`unknown command ${cmd}: try /join, /leave, /msg, /who, /nick, /history, /search or /quit`);
      }
      rl.setPrompt(`${room}> `);
      rl.prompt();
    });
  });
}
