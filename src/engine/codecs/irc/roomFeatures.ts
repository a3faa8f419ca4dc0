/**
 * What the chat's room model offers IRC today. Topics, room operators, the
 * channel modes that need them (+t +i +k +l +o +v +b), kick, invite and
 * away arrive with the room model of issue 12; until then every room
 * behaves like an IRC channel with +n (only members write to it) and
 * nothing more, and this is what 004, ISUPPORT and MODE say, so a client
 * reads the truth.
 */
export const ROOM_FEATURES = {
  /** By CHANMODES type: nothing settable; +n is always on. */
  channelModes: { list: '', alwaysParam: '', paramWhenSet: '', flags: 'n' },
  /** No room operators or voice yet. */
  memberModes: { modes: '', prefixes: '' },
  /** The modes of every room. */
  modes: '+n',
  /** The user modes a client may set: +i. */
  userModes: 'i',
} as const;

/** Why a room-model command is refused for now (the text of 482 and friends). */
export const NO_ROOM_OPERATORS = 'this server has no room operators yet, so nobody can do that';
