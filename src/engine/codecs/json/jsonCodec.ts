import { LineDecoder, encodeFrame, type LineSink } from '../../lineCodec';
import { parseClientFrame } from '../../parseClientFrame';
import { presenceEvents } from '../../presenceEvents';
import { FEATURE_PEOPLE, type PeopleFrame, type ServerFrame } from '../../protocol';
import type { Codec, CodecSink, FrameEncoder, WireProtocol } from '../../server/codec';

/** JSON lines for clients that asked for the `people` feature: every frame as it is, one shared encoder, so a room frame is serialized once. */
export const JSON_FRAMES: FrameEncoder = { encode: encodeFrame };

/**
 * JSON lines for version 1 clients that did not ask for `people`: a
 * coalesced `people` frame becomes the `presence` frames it stands for, one
 * per name, as version 1 sent them. A large room's count-only frame means
 * nothing to them and is left out.
 */
export const JSON_V1_FRAMES: FrameEncoder = {
  encode: (frame) => (frame.type === 'people' ? presenceLines(frame) : encodeFrame(frame)),
};

function presenceLines(f: PeopleFrame): Buffer | undefined {
  const out = presenceEvents(f).map(encodeFrame);
  return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
}

/**
 * The JSON-lines codec (docs/protocol.md): one JSON object per line each way.
 * Lines are split as Buffers by LineDecoder and checked by parseClientFrame.
 */
export class JsonCodec implements Codec, LineSink {
  /** Version 1 until a hello asks for `people` (before the welcome, so no room holds the connection yet). */
  variant = JSON_V1_FRAMES;
  readonly sharedEcho = true;
  private readonly decoder: LineDecoder;

  constructor(
    private readonly sink: CodecSink,
    maxLine: number,
  ) {
    // The codec is its decoder's sink: no closures per connection.
    this.decoder = new LineDecoder(this, maxLine);
  }

  /** LineSink: one line from the socket, checked and reported. */
  line(text: string): void {
    const parsed = parseClientFrame(text);
    if (!parsed.ok) return this.sink.reject(parsed.code, parsed.message, parsed.ref);
    const f = parsed.frame;
    if (f.type === 'hello') {
      const wanted = f.features?.includes(FEATURE_PEOPLE) ? JSON_FRAMES : JSON_V1_FRAMES;
      if (wanted !== this.variant) {
        this.variant = wanted;
        this.sink.variantChanged();
      }
    }
    this.sink.frame(f);
  }

  /** LineSink: a line past the limit. */
  overflow(bytes: number): void {
    this.sink.overflow(bytes);
  }

  push(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  encode(frame: ServerFrame): Buffer | undefined {
    return this.variant.encode(frame);
  }

  pause(): void {
    this.decoder.pause();
  }

  resume(): void {
    this.decoder.resume();
  }

  stop(): void {
    this.decoder.stop();
  }
}

/** The JSON-lines wire protocol, the server's default. */
export const jsonProtocol: WireProtocol = {
  name: 'json',
  open: (sink, limits) => new JsonCodec(sink, limits.maxLine),
  refusal: encodeFrame,
};
