import { addExtension } from 'msgpackr';

/** Forward protocol EventTime: msgpack ext type 0, uint32 seconds then uint32 nanoseconds, big-endian. */
export class EventTime {
  constructor(
    readonly sec: number,
    readonly nsec: number,
  ) {}

  /** The whole msgpack encoding: fixext 8 (0xd7), type 0, seconds, nanoseconds. */
  encode(): Buffer {
    const b = Buffer.allocUnsafe(10);
    b[0] = 0xd7;
    b[1] = 0x00;
    b.writeUInt32BE(this.sec, 2);
    b.writeUInt32BE(this.nsec, 6);
    return b;
  }
}

/** Thrown by the ext decoder for a type-0 ext that is not 8 bytes, so the frame is rejected as malformed. */
export class BadEventTimeError extends Error {
  constructor(length: number) {
    super(`EventTime ext must carry 8 bytes, got ${length}`);
  }
}

let registered = false;

/**
 * Teaches msgpackr to decode the EventTime ext (type 0). msgpackr's extension table is process-wide; ext 0
 * means EventTime everywhere in edgewatch, so registering once is enough. Only decoding is registered:
 * msgpackr refuses a packer for type 0, and the collector never needs to send an EventTime.
 */
export function registerEventTimeExtension(): void {
  if (registered) return;
  registered = true;
  addExtension({
    type: 0,
    unpack(data: Uint8Array) {
      if (data.length !== 8) throw new BadEventTimeError(data.length);
      const sec = ((data[0]! << 24) >>> 0) + (data[1]! << 16) + (data[2]! << 8) + data[3]!;
      const nsec = ((data[4]! << 24) >>> 0) + (data[5]! << 16) + (data[6]! << 8) + data[7]!;
      return new EventTime(sec, nsec);
    },
  });
}
