import { MAX_BODY_BYTES, serializeIrcMessage, type IrcMessage } from './ircMessage';

/**
 * The numeric replies the gateway sends, with the parameters and standard
 * texts of the modern IRC specification (modern.ircdocs.horse) and IRCv3
 * SASL. Each builder returns a message from the server to one client; its
 * first parameter is that client's nick (`*` before registration).
 *
 * Not here on purpose: 670/691 (STARTTLS). The IRC port speaks TLS from the
 * first byte when the server runs with --tls, as the JSON port does, so there
 * is no upgrade to negotiate. 381 (RPL_YOUREOPER): there are no IRC operators,
 * only room operators.
 */

/** Who a reply is from and to. */
export interface ReplyContext {
  /** The server's name, the source of every numeric. */
  server: string;
  /** The client's nick, or '*' before it has one. */
  nick: string;
}

/** The numerics by name. */
export const RPL = {
  WELCOME: '001', YOURHOST: '002', CREATED: '003', MYINFO: '004', ISUPPORT: '005',
  UMODEIS: '221', LUSERCLIENT: '251', LUSEROP: '252', LUSERUNKNOWN: '253', LUSERCHANNELS: '254', LUSERME: '255',
  LOCALUSERS: '265', GLOBALUSERS: '266', WHOISCERTFP: '276',
  AWAY: '301', USERHOST: '302', ISON: '303', UNAWAY: '305', NOWAWAY: '306',
  WHOISUSER: '311', WHOISSERVER: '312', ENDOFWHO: '315', WHOISIDLE: '317', ENDOFWHOIS: '318', WHOISCHANNELS: '319',
  LISTSTART: '321', LIST: '322', LISTEND: '323', CHANNELMODEIS: '324', CREATIONTIME: '329', WHOISACCOUNT: '330',
  NOTOPIC: '331', TOPIC: '332', TOPICWHOTIME: '333', INVITING: '341', VERSION: '351', WHOREPLY: '352', NAMREPLY: '353',
  ENDOFNAMES: '366', BANLIST: '367', ENDOFBANLIST: '368', INFO: '371', MOTD: '372', ENDOFINFO: '374', MOTDSTART: '375',
  ENDOFMOTD: '376', TIME: '391', WHOISSECURE: '671', HELPSTART: '704', HELPTXT: '705', ENDOFHELP: '706',
  LOGGEDIN: '900', LOGGEDOUT: '901', SASLSUCCESS: '903', SASLMECHS: '908',
} as const;

/** The error numerics by name. */
export const ERR = {
  NOSUCHNICK: '401', NOSUCHSERVER: '402', NOSUCHCHANNEL: '403', CANNOTSENDTOCHAN: '404', TOOMANYCHANNELS: '405',
  TOOMANYTARGETS: '407', NOORIGIN: '409', INVALIDCAPCMD: '410', NORECIPIENT: '411', NOTEXTTOSEND: '412',
  INPUTTOOLONG: '417', UNKNOWNCOMMAND: '421', NOMOTD: '422', NONICKNAMEGIVEN: '431', ERRONEUSNICKNAME: '432',
  NICKNAMEINUSE: '433', USERNOTINCHANNEL: '441', NOTONCHANNEL: '442', USERONCHANNEL: '443', NOTREGISTERED: '451',
  NEEDMOREPARAMS: '461', ALREADYREGISTERED: '462', PASSWDMISMATCH: '464', YOUREBANNEDCREEP: '465',
  CHANNELISFULL: '471', UNKNOWNMODE: '472', INVITEONLYCHAN: '473', BANNEDFROMCHAN: '474', BADCHANNELKEY: '475',
  BADCHANMASK: '476', NOPRIVILEGES: '481', CHANOPRIVSNEEDED: '482', UMODEUNKNOWNFLAG: '501', USERSDONTMATCH: '502',
  HELPNOTFOUND: '524', INVALIDKEY: '525', INVALIDMODEPARAM: '696',
  NICKLOCKED: '902', SASLFAIL: '904', SASLTOOLONG: '905', SASLABORTED: '906', SASLALREADY: '907',
} as const;

/** Any numeric this module builds. */
export type NumericCode = (typeof RPL)[keyof typeof RPL] | (typeof ERR)[keyof typeof ERR];

/** A numeric reply: `:<server> <code> <nick> <params...>`. */
export function numeric(ctx: ReplyContext, code: NumericCode, ...params: string[]): IrcMessage {
  return { source: ctx.server, command: code, params: [ctx.nick || '*', ...params] };
}

type Ctx = ReplyContext;
const n = numeric;

// ------------------------------------------------------------ registration
export const rplWelcome = (c: Ctx, network: string, mask: string) => n(c, RPL.WELCOME, `Welcome to the ${network} Network, ${mask}`);
export const rplYourHost = (c: Ctx, version: string) => n(c, RPL.YOURHOST, `Your host is ${c.server}, running version ${version}`);
export const rplCreated = (c: Ctx, when: string) => n(c, RPL.CREATED, `This server was created ${when}`);
/** 004: user modes and channel modes, then the channel modes that take a parameter. */
export const rplMyInfo = (c: Ctx, version: string, userModes: string, chanModes: string, chanModesWithParam: string) =>
  n(c, RPL.MYINFO, c.server, version, userModes, chanModes, chanModesWithParam);
export const rplUmodeIs = (c: Ctx, modes: string) => n(c, RPL.UMODEIS, modes);

// ------------------------------------------------------------ LUSERS
export const rplLuserClient = (c: Ctx, users: number, invisible: number) =>
  n(c, RPL.LUSERCLIENT, `There are ${users} users and ${invisible} invisible on 1 servers`);
export const rplLuserOp = (c: Ctx, ops: number) => n(c, RPL.LUSEROP, String(ops), 'operator(s) online');
export const rplLuserUnknown = (c: Ctx, connections: number) => n(c, RPL.LUSERUNKNOWN, String(connections), 'unknown connection(s)');
export const rplLuserChannels = (c: Ctx, channels: number) => n(c, RPL.LUSERCHANNELS, String(channels), 'channels formed');
export const rplLuserMe = (c: Ctx, clients: number) => n(c, RPL.LUSERME, `I have ${clients} clients and 0 servers`);
export const rplLocalUsers = (c: Ctx, now: number, max: number) => n(c, RPL.LOCALUSERS, String(now), String(max), `Current local users ${now}, max ${max}`);
export const rplGlobalUsers = (c: Ctx, now: number, max: number) => n(c, RPL.GLOBALUSERS, String(now), String(max), `Current global users ${now}, max ${max}`);

// ------------------------------------------------------------ away, userhost, ison
export const rplAway = (c: Ctx, nick: string, message: string) => n(c, RPL.AWAY, nick, message);
/** 302: each reply is `nick=+user@host` (here) or `nick=-user@host` (away). */
export const rplUserhost = (c: Ctx, replies: readonly string[]) => n(c, RPL.USERHOST, replies.join(' '));
export const rplIson = (c: Ctx, nicks: readonly string[]) => n(c, RPL.ISON, nicks.join(' '));
export const rplUnaway = (c: Ctx) => n(c, RPL.UNAWAY, 'You are no longer marked as being away');
export const rplNowAway = (c: Ctx) => n(c, RPL.NOWAWAY, 'You have been marked as being away');

// ------------------------------------------------------------ WHOIS and WHO
export const rplWhoisUser = (c: Ctx, nick: string, user: string, host: string, realname: string) => n(c, RPL.WHOISUSER, nick, user, host, '*', realname);
export const rplWhoisServer = (c: Ctx, nick: string, server: string, info: string) => n(c, RPL.WHOISSERVER, nick, server, info);
export const rplWhoisIdle = (c: Ctx, nick: string, idleSecs: number, signon: number) =>
  n(c, RPL.WHOISIDLE, nick, String(idleSecs), String(signon), 'seconds idle, signon time');
/** 318: `nickParam` is exactly what the client asked for. */
export const rplEndOfWhois = (c: Ctx, nickParam: string) => n(c, RPL.ENDOFWHOIS, nickParam, 'End of /WHOIS list');
/** 319: entries are `[prefix]#channel`; the caller splits long lists over several replies. */
export const rplWhoisChannels = (c: Ctx, nick: string, channels: readonly string[]) => n(c, RPL.WHOISCHANNELS, nick, channels.join(' '));
/** 330: the identity a person proved (SASL), shown as their account. */
export const rplWhoisAccount = (c: Ctx, nick: string, account: string) => n(c, RPL.WHOISACCOUNT, nick, account, 'is logged in as');
export const rplWhoisCertfp = (c: Ctx, nick: string, fingerprint: string) =>
  n(c, RPL.WHOISCERTFP, nick, `has client certificate fingerprint ${fingerprint}`);
export const rplWhoisSecure = (c: Ctx, nick: string) => n(c, RPL.WHOISSECURE, nick, 'is using a secure connection');
/** 352: flags are H or G (here or gone), then @ or + for room operators and voiced people. */
export const rplWhoReply = (c: Ctx, channel: string, user: string, host: string, server: string, nick: string, flags: string, realname: string) =>
  n(c, RPL.WHOREPLY, channel, user, host, server, nick, flags, `0 ${realname}`);
export const rplEndOfWho = (c: Ctx, mask: string) => n(c, RPL.ENDOFWHO, mask, 'End of WHO list');

// ------------------------------------------------------------ channels
export const rplListStart = (c: Ctx) => n(c, RPL.LISTSTART, 'Channel', 'Users  Name');
export const rplList = (c: Ctx, channel: string, count: number, topic: string) => n(c, RPL.LIST, channel, String(count), topic);
export const rplListEnd = (c: Ctx) => n(c, RPL.LISTEND, 'End of /LIST');
/** 324: the mode string and its arguments as separate parameters. */
export const rplChannelModeIs = (c: Ctx, channel: string, modes: string, ...args: string[]) => n(c, RPL.CHANNELMODEIS, channel, modes, ...args);
export const rplCreationTime = (c: Ctx, channel: string, created: number) => n(c, RPL.CREATIONTIME, channel, String(created));
export const rplNoTopic = (c: Ctx, channel: string) => n(c, RPL.NOTOPIC, channel, 'No topic is set');
export const rplTopic = (c: Ctx, channel: string, topic: string) => n(c, RPL.TOPIC, channel, topic);
export const rplTopicWhoTime = (c: Ctx, channel: string, setBy: string, setAt: number) => n(c, RPL.TOPICWHOTIME, channel, setBy, String(setAt));
export const rplInviting = (c: Ctx, nick: string, channel: string) => n(c, RPL.INVITING, nick, channel);
/** 353: symbol '=' (public), '@' (secret); entries are `[prefix]nick`. Use namesReplies to fit a long list. */
export const rplNamReply = (c: Ctx, symbol: '=' | '@' | '*', channel: string, entries: readonly string[]) => n(c, RPL.NAMREPLY, symbol, channel, entries.join(' '));
export const rplEndOfNames = (c: Ctx, channel: string) => n(c, RPL.ENDOFNAMES, channel, 'End of /NAMES list');
export const rplBanList = (c: Ctx, channel: string, mask: string, setBy: string, setAt: number) => n(c, RPL.BANLIST, channel, mask, setBy, String(setAt));
export const rplEndOfBanList = (c: Ctx, channel: string) => n(c, RPL.ENDOFBANLIST, channel, 'End of channel ban list');

// ------------------------------------------------------------ server queries
export const rplVersion = (c: Ctx, version: string, comments: string) => n(c, RPL.VERSION, version, c.server, comments);
export const rplInfo = (c: Ctx, line: string) => n(c, RPL.INFO, line);
export const rplEndOfInfo = (c: Ctx) => n(c, RPL.ENDOFINFO, 'End of INFO list');
export const rplMotdStart = (c: Ctx) => n(c, RPL.MOTDSTART, `- ${c.server} Message of the day - `);
export const rplMotd = (c: Ctx, line: string) => n(c, RPL.MOTD, line);
export const rplEndOfMotd = (c: Ctx) => n(c, RPL.ENDOFMOTD, 'End of /MOTD command.');
/** 391: the unix time as a parameter, so clients need not parse the human text. */
export const rplTime = (c: Ctx, unix: number, human: string) => n(c, RPL.TIME, c.server, String(unix), human);
export const rplHelpStart = (c: Ctx, subject: string, title: string) => n(c, RPL.HELPSTART, subject, title);
export const rplHelpTxt = (c: Ctx, subject: string, line: string) => n(c, RPL.HELPTXT, subject, line);
export const rplEndOfHelp = (c: Ctx, subject: string, line: string) => n(c, RPL.ENDOFHELP, subject, line);

// ------------------------------------------------------------ errors
export const errNoSuchNick = (c: Ctx, nick: string) => n(c, ERR.NOSUCHNICK, nick, 'No such nick/channel');
export const errNoSuchServer = (c: Ctx, server: string) => n(c, ERR.NOSUCHSERVER, server, 'No such server');
/** 403, with the reason when the name itself is bad. */
export const errNoSuchChannel = (c: Ctx, channel: string, why?: string) => n(c, ERR.NOSUCHCHANNEL, channel, why ? `No such channel: ${why}` : 'No such channel');
export const errCannotSendToChan = (c: Ctx, channel: string, why?: string) => n(c, ERR.CANNOTSENDTOCHAN, channel, why ? `Cannot send to channel: ${why}` : 'Cannot send to channel');
export const errTooManyChannels = (c: Ctx, channel: string, limit: number) => n(c, ERR.TOOMANYCHANNELS, channel, `You have joined too many channels (the limit is ${limit})`);
export const errTooManyTargets = (c: Ctx, target: string, limit: number) => n(c, ERR.TOOMANYTARGETS, target, `Too many targets (the limit is ${limit})`);
export const errNoOrigin = (c: Ctx) => n(c, ERR.NOORIGIN, 'No origin specified');
export const errInvalidCapCmd = (c: Ctx, sub: string) => n(c, ERR.INVALIDCAPCMD, sub, 'Invalid CAP command');
export const errNoRecipient = (c: Ctx, command: string) => n(c, ERR.NORECIPIENT, `No recipient given (${command})`);
export const errNoTextToSend = (c: Ctx) => n(c, ERR.NOTEXTTOSEND, 'No text to send');
export const errInputTooLong = (c: Ctx) => n(c, ERR.INPUTTOOLONG, 'Input line was too long');
export const errUnknownCommand = (c: Ctx, command: string) => n(c, ERR.UNKNOWNCOMMAND, command, 'Unknown command');
export const errNoMotd = (c: Ctx) => n(c, ERR.NOMOTD, 'MOTD File is missing');
export const errNoNicknameGiven = (c: Ctx) => n(c, ERR.NONICKNAMEGIVEN, 'No nickname given');
/** 432, with the rule the nick broke. */
export const errErroneusNickname = (c: Ctx, nick: string, why?: string) => n(c, ERR.ERRONEUSNICKNAME, nick, why ? `Erroneous nickname: ${why}` : 'Erroneous nickname');
/** 433; `why` says whose it is when the nick belongs to an identity rather than someone online. */
export const errNicknameInUse = (c: Ctx, nick: string, why?: string) => n(c, ERR.NICKNAMEINUSE, nick, why === undefined ? 'Nickname is already in use' : `Nickname is already in use: ${why}`);
export const errUserNotInChannel = (c: Ctx, nick: string, channel: string) => n(c, ERR.USERNOTINCHANNEL, nick, channel, "They aren't on that channel");
export const errNotOnChannel = (c: Ctx, channel: string) => n(c, ERR.NOTONCHANNEL, channel, "You're not on that channel");
export const errUserOnChannel = (c: Ctx, nick: string, channel: string) => n(c, ERR.USERONCHANNEL, nick, channel, 'is already on channel');
export const errNotRegistered = (c: Ctx) => n(c, ERR.NOTREGISTERED, 'You have not registered');
export const errNeedMoreParams = (c: Ctx, command: string) => n(c, ERR.NEEDMOREPARAMS, command, 'Not enough parameters');
export const errAlreadyRegistered = (c: Ctx) => n(c, ERR.ALREADYREGISTERED, 'You may not reregister');
export const errPasswdMismatch = (c: Ctx, why?: string) => n(c, ERR.PASSWDMISMATCH, why ? `Password incorrect: ${why}` : 'Password incorrect');
export const errYoureBannedCreep = (c: Ctx, why: string) => n(c, ERR.YOUREBANNEDCREEP, why);
export const errChannelIsFull = (c: Ctx, channel: string) => n(c, ERR.CHANNELISFULL, channel, 'Cannot join channel (+l)');
export const errUnknownMode = (c: Ctx, mode: string) => n(c, ERR.UNKNOWNMODE, mode, 'is unknown mode char to me');
export const errInviteOnlyChan = (c: Ctx, channel: string) => n(c, ERR.INVITEONLYCHAN, channel, 'Cannot join channel (+i)');
export const errBannedFromChan = (c: Ctx, channel: string) => n(c, ERR.BANNEDFROMCHAN, channel, 'Cannot join channel (+b)');
export const errBadChannelKey = (c: Ctx, channel: string) => n(c, ERR.BADCHANNELKEY, channel, 'Cannot join channel (+k)');
export const errBadChanMask = (c: Ctx, channel: string) => n(c, ERR.BADCHANMASK, channel, 'Bad Channel Mask');
export const errNoPrivileges = (c: Ctx) => n(c, ERR.NOPRIVILEGES, "Permission Denied- You're not an IRC operator");
export const errChanOPrivsNeeded = (c: Ctx, channel: string) => n(c, ERR.CHANOPRIVSNEEDED, channel, "You're not channel operator");
export const errUmodeUnknownFlag = (c: Ctx) => n(c, ERR.UMODEUNKNOWNFLAG, 'Unknown MODE flag');
export const errUsersDontMatch = (c: Ctx) => n(c, ERR.USERSDONTMATCH, "Can't change mode for other users");
export const errHelpNotFound = (c: Ctx, subject: string) => n(c, ERR.HELPNOTFOUND, subject, 'No help available on this topic');
export const errInvalidKey = (c: Ctx, channel: string) => n(c, ERR.INVALIDKEY, channel, 'Key is not well-formed');
export const errInvalidModeParam = (c: Ctx, target: string, mode: string, param: string, why: string) => n(c, ERR.INVALIDMODEPARAM, target, mode, param, why);

// ------------------------------------------------------------ SASL (IRCv3 sasl-3.1/3.2)
/** 900: `account` is what the person proved, their identity id. */
export const rplLoggedIn = (c: Ctx, mask: string, account: string) => n(c, RPL.LOGGEDIN, mask, account, `You are now logged in as ${account}`);
export const rplLoggedOut = (c: Ctx, mask: string) => n(c, RPL.LOGGEDOUT, mask, 'You are now logged out');
export const errNickLocked = (c: Ctx) => n(c, ERR.NICKLOCKED, 'You must use a nick assigned to you');
export const rplSaslSuccess = (c: Ctx) => n(c, RPL.SASLSUCCESS, 'SASL authentication successful');
export const errSaslFail = (c: Ctx) => n(c, ERR.SASLFAIL, 'SASL authentication failed');
export const errSaslTooLong = (c: Ctx) => n(c, ERR.SASLTOOLONG, 'SASL message too long');
export const errSaslAborted = (c: Ctx) => n(c, ERR.SASLABORTED, 'SASL authentication aborted');
export const errSaslAlready = (c: Ctx) => n(c, ERR.SASLALREADY, 'You have already authenticated using SASL');
export const rplSaslMechs = (c: Ctx, mechanisms: readonly string[]) => n(c, RPL.SASLMECHS, mechanisms.join(','), 'are available SASL mechanisms');

// ------------------------------------------------------------ IRCv3 standard replies
/** `FAIL <command> <code> [context...] :<description>` (standard-replies); also WARN and NOTE. */
export function standardReply(server: string, kind: 'FAIL' | 'WARN' | 'NOTE', command: string, code: string, context: readonly string[], description: string): IrcMessage {
  return { source: server, command: kind, params: [command, code, ...context, description] };
}

// ------------------------------------------------------------ long lists
/**
 * Spreads a space-separated list (the last parameter that `build` makes) over
 * as many replies as it takes for each to fit 512 bytes. Sizes are counted,
 * not re-serialized per item, so a 10,000-member NAMES stays linear. An item
 * too long to fit even alone is left out rather than sent broken.
 */
export function fitList(items: readonly string[], build: (slice: readonly string[]) => IrcMessage): IrcMessage[] {
  const empty = serializeIrcMessage(build([]));
  if (!empty.ok) return [];
  const room = MAX_BODY_BYTES - 2 - Buffer.byteLength(empty.line);
  const out: IrcMessage[] = [];
  let slice: string[] = [];
  let used = 0;
  for (const item of items) {
    const bytes = Buffer.byteLength(item);
    if (bytes > room) continue;
    const add = slice.length === 0 ? bytes : bytes + 1;
    if (used + add > room) {
      out.push(build(slice));
      slice = [item];
      used = bytes;
    } else {
      slice.push(item);
      used += add;
    }
  }
  if (slice.length > 0 || out.length === 0) out.push(build(slice));
  return out;
}

/** 353 replies for a whole member list, then 366. */
export function namesReplies(c: Ctx, symbol: '=' | '@' | '*', channel: string, entries: readonly string[]): IrcMessage[] {
  return [...(entries.length > 0 ? fitList(entries, (s) => rplNamReply(c, symbol, channel, s)) : []), rplEndOfNames(c, channel)];
}
