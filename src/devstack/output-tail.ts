import type { Readable } from 'node:stream';

/**
 * The last few lines a child process wrote, kept so a start failure can show why it failed
 * without forwarding every line of a chatty server to the user.
 *
 * @example
 * const tail = new OutputTail(20);
 * tail.follow(child.stdout);
 * tail.follow(child.stderr);
 * throw new Error(`server exited:\n${tail.text()}`);
 */
export class OutputTail {
  private readonly lines: string[] = [];
  /** Unfinished last line per source, so interleaved streams are not spliced together. */
  private readonly partial = new Map<object, string>();
  private readonly direct = {};

  constructor(private readonly maxLines = 20) {}

  /** Reads a stream to its end, keeping its lines. */
  follow(stream: Readable | null | undefined): void {
    if (!stream) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.write(chunk, stream));
    stream.on('end', () => {
      const rest = this.partial.get(stream);
      if (rest) this.push(rest);
      this.partial.delete(stream);
    });
  }

  /** Adds text that may hold several lines or end mid-line. */
  write(chunk: string, source?: Readable): void {
    const key = source ?? this.direct;
    const parts = ((this.partial.get(key) ?? '') + chunk).split(/\r?\n/);
    this.partial.set(key, parts.pop() ?? '');
    for (const line of parts) this.push(line);
  }

  /** The kept lines, oldest first, including any unterminated last line. */
  text(): string {
    const pending = [...this.partial.values()].filter((line) => line.length > 0);
    return [...this.lines, ...pending].slice(-this.maxLines).join('\n');
  }

  private push(line: string): void {
    if (line.trim().length === 0) return;
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.shift();
  }
}
