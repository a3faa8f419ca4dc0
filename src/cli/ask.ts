import * as readline from 'node:readline';
import { Writable } from 'node:stream';

/** The person closed the terminal's input (Ctrl-D) or pressed Ctrl-C instead of answering. */
export class NoAnswer extends Error {
  constructor() {
    super('no answer was given');
    this.name = 'NoAnswer';
  }
}

/** True when a person can be asked: stdin is a terminal. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true;
}

/** Ask one question on the terminal and resolve with the line typed. Rejects with NoAnswer on Ctrl-C or end of input. */
export function askLine(question: string): Promise<string> {
  return ask(question, false);
}

/**
 * Ask for a secret (a passphrase) on the terminal without showing what is
 * typed: readline writes its echo to an output that drops it.
 */
export function askSecret(question: string): Promise<string> {
  return ask(question, true);
}

function ask(question: string, secret: boolean): Promise<string> {
  let muted = false;
  const output = secret
    ? new Writable({
        write(chunk: Buffer, _encoding, done) {
          if (!muted) process.stdout.write(chunk);
          done();
        },
      })
    : process.stdout;
  const rl = readline.createInterface({ input: process.stdin, output, terminal: process.stdin.isTTY === true });
  return new Promise<string>((resolve, reject) => {
    let answered = false;
    rl.on('SIGINT', () => rl.close());
    rl.once('close', () => {
      if (answered) return;
      if (secret) process.stdout.write('\n');
      reject(new NoAnswer());
    });
    rl.question(question, (answer) => {
      answered = true;
      muted = false;
      // The Enter was not echoed either.
      if (secret) process.stdout.write('\n');
      rl.close();
      resolve(answer);
    });
    // After the question is written: only what the person types is dropped.
    muted = secret;
  });
}
