import * as assert from 'node:assert/strict';
import { ChatServer } from '../../src/engine/server/chatServer';
import { LineClient, report, sleep } from './support';

describe('chaos (quick): flood', function () {
  this.timeout(30_000);
  let server: ChatServer | undefined;
  const clients: LineClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = undefined;
  });

  it('answers a message flood with rate_limited, then cuts it for flooding, while others keep chatting', async () => {
    server = new ChatServer({ port: 0 }); // default limits: 10/s, burst 30
    const { port } = await server.listen();
    const { c: a } = await LineClient.hello(port, 'alice');
    const { c: flooder } = await LineClient.hello(port, 'flooder');
    clients.push(a, flooder);
    const codes: string[] = [];
    let accepted = 0;
    flooder.onFrame = (f) => {
      if (f.type === 'error') codes.push(f.code as string);
      if (f.type === 'message' && f.sender === 'flooder') accepted++;
    };
    let aliceGot = 0;
    a.onFrame = (f) => {
      if (f.type === 'message' && f.sender === 'alice') aliceGot++;
    };
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ type: 'message', id: `f${i}`, room: 'general', text: `flood ${i}` })).join('\n') + '\n';
    flooder.socket.write(lines);
    await Promise.race([flooder.closedP, sleep(5000)]);
    assert.ok(flooder.closed, 'the flooder is disconnected');
    assert.equal(codes[0], 'rate_limited');
    assert.equal(codes.at(-1), 'flood');
    assert.ok(accepted <= 31, `only about a burst got through (${accepted})`);
    for (let i = 0; i < 5; i++) a.send({ type: 'message', id: `a${i}`, room: 'general', text: `hi ${i}` });
    await a.ping('p');
    await sleep(50);
    assert.equal(aliceGot, 5, 'alice still chats');
    report('flood quick', { accepted, rateLimited: codes.filter((c) => c === 'rate_limited').length, cut: codes.at(-1) });
  });

  it('throttles a flood of cheap frames (junk, who) by reading it slower, without cutting it', async () => {
    server = new ChatServer({ port: 0, lineRate: 200 });
    const { port } = await server.listen();
    const { c: flooder } = await LineClient.hello(port, 'junky');
    const { c: b } = await LineClient.hello(port, 'bob');
    clients.push(flooder, b);
    let answers = 0;
    flooder.onFrame = (f) => {
      if (f.type === 'error' || f.type === 'users') answers++;
    };
    const junk = Array.from({ length: 5000 }, (_, i) => (i % 2 ? '{"type":"who"}' : 'not json')).join('\n') + '\n';
    flooder.socket.write(junk);
    await sleep(1000);
    // Budget: a burst of 2 x 200 lines, then 200 a second.
    assert.ok(answers <= 700, `the server read ${answers} lines in one second`);
    assert.ok(answers >= 300, `the server still reads the flooder (${answers})`);
    assert.ok(!flooder.closed);
    const t0 = performance.now();
    await b.ping('meanwhile');
    const pingMs = performance.now() - t0;
    assert.ok(pingMs < 250, `another client's ping took ${pingMs.toFixed(1)} ms`);
    report('junk flood quick', { linesAnsweredIn1s: answers, otherClientPingMs: +pingMs.toFixed(1) });
  });
});
