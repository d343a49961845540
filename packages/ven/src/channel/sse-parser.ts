/**
 * Server-Sent Events, incrementally: feed it chunks as they arrive, get whole events.
 * Follows the HTML spec's rules: lines end in LF, CR or CRLF; `data` lines join with LF;
 * a line starting with `:` is a comment; an event without data is not dispatched.
 */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private sawCr = false;
  /** Longest event accepted (a plan with 50k peers is a few MB); beyond it the parser throws. */
  private readonly maxEventChars: number;
  private pending = 0;

  constructor(maxEventChars = 64 * 1024 * 1024) {
    this.maxEventChars = maxEventChars;
  }

  feed(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = chunk;
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1); // the LF of a CRLF split across chunks
    this.sawCr = false;
    // Only the new text can hold a line end: what was buffered before has none.
    const scanFrom = this.buffer.length;
    this.buffer += text;
    let start = 0;
    for (let i = scanFrom; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(this.buffer.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else this.sawCr = true;
      }
      start = i + 1;
    }
    if (start > 0) this.buffer = this.buffer.slice(start);
    if (this.pending + this.buffer.length > this.maxEventChars) throw new Error(`an SSE event is longer than ${this.maxEventChars} characters`);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) out.push({ event: this.event === '' ? 'message' : this.event, data: this.data.join('\n'), id: this.id });
      this.event = '';
      this.data = [];
      this.pending = 0;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') {
      this.data.push(value);
      this.pending += value.length;
    } else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}
