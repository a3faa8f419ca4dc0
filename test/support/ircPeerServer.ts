import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where Debian puts ngIRCd. */
export const NGIRCD = '/usr/sbin/ngircd';

/** A free loopback port, found by binding port 0 (another process may take it before we use it; callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A real ngIRCd on a random loopback port, with its own config in a temp
 * directory: the reference server the real-client harness is proven against
 * before it is pointed at our gateway. Flood penalties and per-IP limits are
 * off (see ../shared/peers.md), so a quick test is not throttled.
 */
export class IrcPeerServer {
  private constructor(
    readonly host: string,
    readonly port: number,
    readonly name: string,
    private readonly proc: ChildProcess,
    private readonly dir: string,
    private readonly exited: Promise<void>,
  ) {}

  /** Starts ngIRCd and resolves once it says it listens. */
  static async start(timeoutMs = 20_000): Promise<IrcPeerServer> {
    if (!fs.existsSync(NGIRCD)) throw new Error(`${NGIRCD} is missing: apt-get update && apt-get install -y ngircd`);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await IrcPeerServer.startOn(await freePort(), timeoutMs);
      } catch (e) {
        lastError = e; // most likely the port was taken between freePort() and the bind
      }
    }
    throw lastError;
  }

  private static async startOn(port: number, timeoutMs: number): Promise<IrcPeerServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpchat-ngircd-'));
    const name = 'irc.harness.local';
    const conf = path.join(dir, 'ngircd.conf');
    fs.writeFileSync(
      conf,
      [
        '[Global]',
        `\tName = ${name}`,
        '\tInfo = real-client harness',
        '\tAdminInfo1 = harness',
        '\tAdminInfo2 = loopback',
        '\tAdminEMail = root@localhost',
        '\tListen = 127.0.0.1',
        `\tPorts = ${port}`,
        '\tMotdPhrase = harness',
        '[Limits]',
        '\tMaxConnections = 0',
        '\tMaxConnectionsIP = 0',
        '\tMaxJoins = 0',
        '\tMaxNickLength = 30',
        '\tMaxPenaltyTime = 0',
        '[Options]',
        '\tDNS = no',
        '\tIdent = no',
        '\tPAM = no',
        '',
      ].join('\n'),
    );
    fs.chmodSync(dir, 0o755); // ngIRCd drops to "nobody" after reading its config
    const proc = spawn(NGIRCD, ['-n', '-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer): void => {
          out += d.toString();
          if (out.includes(`Now listening on [127.0.0.1]:${port}`)) resolve();
          else if (/can't bind|cannot bind|address already in use/i.test(out)) reject(new Error(`ngIRCd could not bind ${port}: ${out}`));
        };
        proc.stdout?.on('data', onData);
        proc.stderr?.on('data', onData);
        proc.once('exit', (code) => reject(new Error(`ngIRCd exited (${code}) before listening: ${out}`)));
        setTimeout(() => reject(new Error(`ngIRCd did not listen within ${timeoutMs} ms: ${out}`)), timeoutMs).unref();
      });
    } catch (e) {
      proc.kill('SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return new IrcPeerServer('127.0.0.1', port, name, proc, dir, exited);
  }

  /** Its process id. */
  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Stops it by its pid and removes its directory. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
