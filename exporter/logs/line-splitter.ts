import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into lines. A line longer than `maxLineBytes` is cut there and the rest of it, up
 * to the next newline, is dropped (reported through `onTruncated`), so one runaway line cannot grow memory.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private discarding = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onTruncated: () => void = () => {},
  ) {}

  push(chunk: Buffer): void {
    let text = this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      if (this.discarding) {
        this.discarding = false;
      } else {
        let line = this.partial ? this.partial + text.slice(start, nl) : text.slice(start, nl);
        this.partial = '';
        if (line.endsWith('\r')) line = line.slice(0, -1);
        this.emit(line);
      }
      start = nl + 1;
    }
    if (start < text.length && !this.discarding) {
      text = text.slice(start);
      this.partial += text;
      if (this.partial.length > this.maxLineBytes) {
        this.emit(this.partial);
        this.partial = '';
        this.discarding = true;
      }
    }
  }

  /** Emits whatever is left without a trailing newline (the process exited). */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest && !this.discarding) this.emit(rest);
    this.discarding = false;
  }

  private emit(line: string): void {
    if (line.length > this.maxLineBytes) {
      this.onTruncated();
      line = line.slice(0, this.maxLineBytes);
    }
    if (line.length > 0) this.onLine(line);
  }
}
