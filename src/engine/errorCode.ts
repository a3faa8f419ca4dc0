/** Every error code a server may send (docs/protocol.md, "Errors"). */
export type ErrorCode =
  | 'bad_json'
  | 'unknown_type'
  | 'bad_frame'
  | 'not_ready'
  | 'frame_too_large'
  | 'rate_limited'
  | 'flood'
  | 'server_full'
  | 'handshake_timeout'
  | 'idle_timeout'
  | 'slow_reader'
  | 'bad_version'
  | 'bad_name'
  | 'bad_room'
  | 'no_such_user'
  | 'not_in_room'
  | 'too_long'
  | 'already_ready'
  | 'auth_required'
  | 'auth_failed'
  /** A plain-TCP client reached a TLS server (sent as a plain line before any TLS). */
  | 'tls_required'
  /** A TLS client reached a plain server (logged only: the client cannot read a plain line). */
  | 'tls_unexpected'
  | 'store_failed'
  | 'replaced'
  | 'file_too_large'
  | 'bad_file'
  /** A join past the rooms one person may be in, or past the rooms the server keeps; the message names the limit. */
  | 'too_many_rooms'
  /** Only the room's operators may do that (set modes, kick, a topic under +t, invite to a +i room). */
  | 'not_operator'
  /** A join or a message refused by a ban in that room. */
  | 'banned'
  /** A join of an invite-only (+i) room without an invite. */
  | 'invite_only'
  /** A join of a keyed (+k) room without the right key. */
  | 'bad_key'
  /** A join of a room at its member limit (+l). */
  | 'room_full'
  /** A message to a moderated (+m) room from someone neither operator nor voiced. */
  | 'moderated'
  /** A kick, or +o/+v, of someone who is not in the room. */
  | 'user_not_in_room'
  /** An invite of someone already in the room. */
  | 'user_in_room'
  /** A mode change that cannot be made (a bad key or limit, -n, +i in general, a full ban list); nothing was changed. */
  | 'bad_mode'
  /** The server admits only people who prove an identity key (`serve --require-identity`); a hello without `key` gets this. */
  | 'identity_required'
  /** The name belongs to another identity, and the hello insisted on it. */
  | 'name_claimed'
  /** A reply, reaction, edit or delete names a message that does not exist (or may not be changed that way: deleted). */
  | 'bad_target'
  /** Only the author may edit a message; only the author or a room operator may delete one. */
  | 'not_allowed'
  /** A message already has the most distinct reactions it may have (MAX_DISTINCT_REACTIONS). */
  | 'too_many_reactions';
