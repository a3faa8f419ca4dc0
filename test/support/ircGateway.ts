import { IrcProtocol, type IrcGatewayOptions } from '../../src/engine/codecs/irc/ircProtocol';
import type { ChatServer, ServerOptions } from '../../src/engine/server/chatServer';
import type { Harness } from './harness';

/** A chat server with the IRC gateway on a second port, both on loopback port 0. */
export async function gatewayServer(
  h: Harness,
  opts: ServerOptions = {},
  gateway: IrcGatewayOptions = {},
): Promise<{ server: ChatServer; port: number; ircPort: number; irc: IrcProtocol }> {
  const irc = new IrcProtocol(gateway);
  const { server, port } = await h.server({ ...opts, extraPorts: [{ port: 0, protocol: irc }] });
  const address = server.addresses().find((a) => a.protocol === 'irc')?.address;
  if (!address) throw new Error('the IRC port did not open');
  return { server, port, ircPort: address.port, irc };
}
