#!/usr/bin/env node
// The floor for a Node server: a bare `net` server that answers a client's
// first line with one line and then only holds the socket.
//
//   node bench/bareServer.mjs PORT [HOST]
//
// Anything a chat server written in Node keeps per connection above this is
// its own: the bench reports memory per connection against this process.
import * as net from 'node:net';

const port = Number(process.argv[2] ?? 0);
const host = process.argv[3] ?? '127.0.0.1';
const WELCOME = Buffer.from('welcome\n');

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.once('data', () => socket.write(WELCOME));
  socket.on('error', () => socket.destroy());
});
server.maxConnections = 1_000_000;
server.listen({ host, port }, () => process.stdout.write(`bare server listening on ${host}:${server.address().port}\n`));
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(0));
