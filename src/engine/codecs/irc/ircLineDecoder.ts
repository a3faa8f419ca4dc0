import { LineDecoder, type LineSink } from '../../lineCodec';
import { MAX_BODY_BYTES, MAX_TAG_SECTION_BYTES } from './ircMessage';

/** The longest line IRC allows, without its CRLF: a full tag section plus a full body. */
export const IRC_MAX_LINE_BYTES = MAX_TAG_SECTION_BYTES + MAX_BODY_BYTES - 2;

/**
 * Where the decoder gives up on a line and the connection: twice the IRC
 * limit. A line between the two still reaches the parser, which answers it
 * with ERR_INPUTTOOLONG (417) and carries on, as IRC servers do; only a peer
 * that sends far more without a newline is cut off, so it cannot grow our
 * memory.
 */
export const IRC_DECODER_CAP_BYTES = 2 * IRC_MAX_LINE_BYTES;

/**
 * A LineDecoder for an IRC connection. IRC lines end in CRLF, but clients may
 * send a bare LF; LineDecoder splits on LF, drops one CR before it and skips
 * empty lines, which is what IRC wants. Invalid UTF-8 becomes U+FFFD, so
 * nothing that is not UTF-8 is ever relayed (ISUPPORT says UTF8ONLY).
 */
export function createIrcLineDecoder(sink: LineSink): LineDecoder {
  return new LineDecoder(sink, IRC_DECODER_CAP_BYTES);
}
