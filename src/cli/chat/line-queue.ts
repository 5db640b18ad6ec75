import type { Interface } from 'node:readline';

/**
 * Lines of a readline interface as an awaitable queue, so the REPL can read its next prompt and a
 * tool can ask for confirmation in the middle of a turn from the same input.
 */
export class LineQueue {
  private readonly buffered: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private ended = false;
  private interruptHandler: (() => void) | null = null;

  constructor(private readonly readline: Interface) {
    readline.on('line', (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = null;
        resolve(line);
      } else this.buffered.push(line);
    });
    readline.on('close', () => this.finish());
    readline.on('SIGINT', () => this.interruptHandler?.());
  }

  /** The next line, after showing `prompt`; null at end of input. */
  next(prompt = ''): Promise<string | null> {
    const line = this.buffered.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(null);
    if (prompt) process.stdout.write(prompt);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** Asks a yes/no question; anything but y/yes (or end of input) is no. */
  async confirm(question: string): Promise<boolean> {
    const answer = await this.next(question);
    return answer !== null && /^\s*(y|yes|是|好)\s*$/i.test(answer);
  }

  /** Called on Ctrl-C at a terminal. */
  onInterrupt(handler: () => void): void {
    this.interruptHandler = handler;
  }

  /** Ends input as if the user pressed Ctrl-D. */
  end(): void {
    this.readline.close();
  }

  close(): void {
    this.readline.close();
  }

  private finish(): void {
    this.ended = true;
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.(null);
  }
}
