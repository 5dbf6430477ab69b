import { Transform, type TransformCallback } from 'node:stream';

/** The error a refused packet fails the stream with. */
export class PacketTooLarge extends Error {}

/**
 * Passes MQTT bytes through while reading each packet's fixed header ([MQTT-2.2.3] remaining length, a
 * variable-length integer of up to four bytes), and fails the stream as soon as a packet announces more
 * than `maxBytes`: the broker's parser, which buffers a whole packet, never sees it.
 */
export class MqttPacketLimit extends Transform {
  /** Bytes of the current packet's body still to pass, or -1 while reading a fixed header. */
  private remaining = -1;
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.remaining = -1;
        continue;
      }
      if (this.headerBytes === 0) {
        // the control-packet type byte
        this.headerBytes = 1;
        this.length = 0;
        this.multiplier = 1;
        i++;
        continue;
      }
      const b = chunk[i++]!;
      this.length += (b & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.headerBytes++;
      if (this.length > this.maxBytes) return done(new PacketTooLarge(`MQTT packet of ${this.length} bytes refused (limit ${this.maxBytes})`));
      if ((b & 0x80) === 0) {
        this.headerBytes = 0;
        this.remaining = this.length === 0 ? -1 : this.length;
      } else if (this.headerBytes > 4) {
        return done(new PacketTooLarge('malformed MQTT remaining length'));
      }
    }
    done(null, chunk);
  }
}
