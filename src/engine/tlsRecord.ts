/**
 * First bytes of TLS records, shared by the server and the client: a plain
 * endpoint that sees one of these on a socket has met TLS, and says so in
 * words instead of hanging or printing noise.
 */

/** A handshake record (a ClientHello or ServerHello). */
export const TLS_HANDSHAKE = 0x16;
/** An alert record (what a TLS server answers to a plain line). */
export const TLS_ALERT = 0x15;
