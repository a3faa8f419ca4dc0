// One thin adapter per wire protocol, so that one load generator drives every
// server: `json` (tcp-chat's NDJSON), `irc` (ngIRCd, or any IRC server at
// host:port), `resp` (Redis pub/sub) and `line` (the bare Node server).
//
//   const client = await ADAPTERS[proto].connect(opts, hooks)
//   opts:  { host, port, room, index, tag, publisher, join }
//          index names the client (`c<index>`); tag makes message ids unique
//          across runs (tcp-chat drops a repeated id); publisher: it will send (Redis
//          opens its second connection only then); join: IRC joins the room
//          after registering (default true).
//   hooks: { onBytes(n), onPayload(buf, at), onError(text), onClosed() }
//          onPayload gets the buffer and the index of a payload's first byte.
//   client.send(payload), client.close()
//
// `echo` says whether a sender receives its own message: tcp-chat echoes it,
// Redis delivers it to the sender's own subscriber connection, IRC does not.
import * as net from 'node:net';

const PAYLOAD_LEN = 30;

/** `P<sender>.<seq>.<micros>.` padded to 30 bytes; micros is a send time on the shared monotonic clock. */
export function makePayload(sender, seq, micros) {
  const p = `P${sender}.${seq}.${micros}.`;
  return p.length >= PAYLOAD_LEN ? p : p + 'x'.repeat(PAYLOAD_LEN - p.length);
}

/** The fields of the payload at buf[at], parsed in place; null when it is not one of ours. */
export function parsePayload(buf, at, out) {
  if (buf[at] !== 80 /* P */) return null;
  let i = at + 1;
  const num = () => {
    let n = 0;
    const s = i;
    for (let c = buf[i]; c >= 48 && c <= 57; c = buf[++i]) n = n * 10 + (c - 48);
    if (i === s || buf[i] !== 46 /* . */) return -1;
    i++;
    return n;
  };
  out.sender = num();
  out.seq = out.sender < 0 ? -1 : num();
  out.micros = out.seq < 0 ? -1 : num();
  return out.micros < 0 ? null : out;
}

/**
 * Splits a socket's bytes into regions of whole lines and hands each to
 * `onRegion(buf)`; a line split across reads is joined once, when its end arrives.
 */
function regions(socket, hooks, onRegion) {
  let pending = [];
  socket.on('data', (chunk) => {
    hooks.onBytes(chunk.length);
    const nl = chunk.lastIndexOf(10);
    if (nl === -1) {
      pending.push(chunk);
      return;
    }
    let head = chunk.subarray(0, nl + 1);
    if (pending.length) {
      pending.push(head);
      head = Buffer.concat(pending);
    }
    pending = nl + 1 < chunk.length ? [chunk.subarray(nl + 1)] : [];
    onRegion(head);
  });
}

/** Index of `marker` at the start of a line in buf, from `from`; -1 when there is none. */
function lineStart(buf, marker, from) {
  for (let i = from; ; i += marker.length) {
    i = buf.indexOf(marker, i);
    if (i === -1 || i === 0 || buf[i - 1] === 10) return i;
  }
}

const lineAt = (buf, i) => buf.toString('utf8', i, Math.min(buf.length, i + 300, buf.indexOf(10, i) === -1 ? buf.length : buf.indexOf(10, i))).trim();

function socket(opts, hooks, onClose) {
  const s = net.connect({ host: opts.host, port: opts.port });
  s.setNoDelay(true);
  s.on('close', onClose);
  return s;
}

/** Resolves once `ready()` has been called; rejects on an error or a close before that. */
function handshake(opts, hooks, body) {
  return new Promise((resolve, reject) => {
    let ready = false;
    const state = {
      get ready() {
        return ready;
      },
      done(client) {
        ready = true;
        resolve(client);
      },
      fail(e) {
        if (ready) hooks.onError(`c${opts.index}: ${e.message ?? e}`);
        else reject(e);
      },
      closed() {
        if (ready) hooks.onClosed();
        else reject(new Error(`c${opts.index}: closed before the handshake finished`));
      },
    };
    body(state);
  });
}

const json = {
  echo: true,
  connect(opts, hooks) {
    const MSG = Buffer.from('{"type":"message"');
    const TEXT = Buffer.from('"text":"');
    const WELCOME = Buffer.from('{"type":"welcome"');
    const ERR = Buffer.from('{"type":"error"');
    const PING = Buffer.from('{"type":"ping"');
    return handshake(opts, hooks, (h) => {
      const s = socket(opts, hooks, () => h.closed());
      s.on('error', (e) => h.fail(e));
      s.on('connect', () => s.write(`{"type":"hello","v":1,"name":"c${opts.index}","features":["people"]}\n`));
      let n = 0;
      const client = {
        send: (p) => s.write(`{"type":"message","id":"${opts.tag}${opts.index}-${n++}","room":"${opts.room}","text":"${p}"}\n`),
        close: () => s.destroy(),
      };
      regions(s, hooks, (buf) => {
        if (!h.ready && lineStart(buf, WELCOME, 0) !== -1) h.done(client);
        // Answer the server's keep-alive ping, as a real client does (it closes silent connections).
        if (lineStart(buf, PING, 0) !== -1) s.write('{"type":"pong"}\n');
        for (let e = lineStart(buf, ERR, 0); e !== -1; e = lineStart(buf, ERR, e + 1)) hooks.onError(`c${opts.index}: ${lineAt(buf, e)}`);
        for (let m = lineStart(buf, MSG, 0); m !== -1; m = lineStart(buf, MSG, m + 1)) {
          const t = buf.indexOf(TEXT, m);
          if (t !== -1) hooks.onPayload(buf, t + TEXT.length);
        }
      });
    });
  },
};

const irc = {
  echo: false,
  connect(opts, hooks) {
    const nick = `c${opts.index}`;
    const join = opts.join !== false;
    const PRIV = Buffer.from(` PRIVMSG #${opts.room} :`);
    const PING = Buffer.from('PING ');
    const ERROR = Buffer.from('ERROR ');
    const WELCOMED = Buffer.from(` 001 ${nick} `);
    const JOINED = Buffer.from(` 366 ${nick} #${opts.room} `);
    return handshake(opts, hooks, (h) => {
      const s = socket(opts, hooks, () => h.closed());
      s.on('error', (e) => h.fail(e));
      s.on('connect', () => s.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`));
      let registered = false;
      const client = {
        send: (p) => s.write(`PRIVMSG #${opts.room} :${p}\r\n`),
        close: () => s.destroy(),
      };
      regions(s, hooks, (buf) => {
        for (let p = lineStart(buf, PING, 0); p !== -1; p = lineStart(buf, PING, p + 1)) s.write(`PONG ${lineAt(buf, p + 5)}\r\n`);
        for (let e = lineStart(buf, ERROR, 0); e !== -1; e = lineStart(buf, ERROR, e + 1)) hooks.onError(`${nick}: ${lineAt(buf, e)}`);
        if (!h.ready) {
          if (!registered && buf.indexOf(WELCOMED) !== -1) {
            registered = true;
            if (join) s.write(`JOIN #${opts.room}\r\n`);
            else h.done(client);
          }
          if (registered && join && buf.indexOf(JOINED) !== -1) h.done(client);
        }
        for (let m = buf.indexOf(PRIV); m !== -1; m = buf.indexOf(PRIV, m + 1)) hooks.onPayload(buf, m + PRIV.length);
      });
    });
  },
};

const resp = {
  echo: true,
  connect(opts, hooks) {
    const P = Buffer.from('P');
    const SUBSCRIBED = Buffer.from('subscribe');
    return handshake(opts, hooks, (h) => {
      const sub = socket(opts, hooks, () => h.closed());
      let pub;
      sub.on('error', (e) => h.fail(e));
      sub.on('connect', () => sub.write(`SUBSCRIBE ${opts.room}\r\n`));
      const client = {
        send: (p) => pub.write(`PUBLISH ${opts.room} ${p}\r\n`),
        close() {
          sub.destroy();
          pub?.destroy();
        },
      };
      let subscribed = false;
      regions(sub, hooks, (buf) => {
        if (!subscribed && buf.indexOf(SUBSCRIBED) !== -1) {
          subscribed = true;
          if (!opts.publisher) h.done(client);
          else {
            // A subscribed connection may only (un)subscribe: publishing takes a second one.
            pub = socket(opts, hooks, () => h.closed());
            pub.on('error', (e) => h.fail(e));
            pub.on('connect', () => h.done(client));
            pub.on('data', (d) => {
              hooks.onBytes(d.length);
              if (d[0] === 45 /* - */) hooks.onError(`c${opts.index} publish: ${d.toString().trim()}`);
            });
          }
        }
        for (let m = lineStart(buf, P, 0); m !== -1; m = lineStart(buf, P, m + 1)) hooks.onPayload(buf, m);
      });
    });
  },
};

const line = {
  echo: false,
  connect(opts, hooks) {
    return handshake(opts, hooks, (h) => {
      const s = socket(opts, hooks, () => h.closed());
      s.on('error', (e) => h.fail(e));
      s.on('connect', () => s.write(`hello c${opts.index}\n`));
      const client = {
        send() {
          throw new Error('the bare server does not relay messages');
        },
        close: () => s.destroy(),
      };
      regions(s, hooks, () => h.ready || h.done(client));
    });
  },
};

export const ADAPTERS = { json, irc, resp, line };
