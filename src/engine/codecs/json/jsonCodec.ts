import { LineDecoder, encodeFrame } from '../../lineCodec';
import { parseClientFrame, type ServerFrame } from '../../protocol';
import type { Codec, CodecSink, FrameEncoder, WireProtocol } from '../../server/codec';

/** JSON lines have one encoding for everyone: one shared encoder, so a room frame is serialized once. */
export const JSON_FRAMES: FrameEncoder = { encode: encodeFrame };

/**
 * The JSON-lines codec (docs/protocol.md): one JSON object per line each way.
 * Lines are split as Buffers by LineDecoder and checked by parseClientFrame.
 */
export class JsonCodec implements Codec {
  readonly variant = JSON_FRAMES;
  readonly sharedEcho = true;
  private readonly decoder: LineDecoder;

  constructor(sink: CodecSink, maxLine: number) {
    this.decoder = new LineDecoder(
      {
        line: (text) => {
          const parsed = parseClientFrame(text);
          if (parsed.ok) sink.frame(parsed.frame);
          else sink.reject(parsed.code, parsed.message, parsed.ref);
        },
        overflow: (bytes) => sink.overflow(bytes),
      },
      maxLine,
    );
  }

  push(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  encode(frame: ServerFrame): Buffer {
    return encodeFrame(frame);
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
