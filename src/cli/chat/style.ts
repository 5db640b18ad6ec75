/** ANSI styles for terminal output; plain text when the stream is not a terminal or NO_COLOR is set. */
export interface Style {
  dim(text: string): string;
  bold(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

const codes = {
  dim: [2, 22],
  bold: [1, 22],
  cyan: [36, 39],
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
} as const;

/** Styles for a stream, honouring NO_COLOR and FORCE_COLOR. */
export function styleFor(stream: NodeJS.WriteStream): Style {
  const enabled =
    process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0'
      ? true
      : Boolean(stream.isTTY) && process.env.NO_COLOR === undefined;
  const wrap =
    (name: keyof typeof codes) =>
    (text: string): string =>
      enabled ? `\u001b[${codes[name][0]}m${text}\u001b[${codes[name][1]}m` : text;
  return {
    dim: wrap('dim'),
    bold: wrap('bold'),
    cyan: wrap('cyan'),
    green: wrap('green'),
    yellow: wrap('yellow'),
    red: wrap('red'),
  };
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner on stderr while waiting; silent when stderr is not a terminal. */
export class Spinner {
  private timer: NodeJS.Timeout | null = null;
  private frame = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  start(label: string): void {
    if (!this.stream.isTTY || this.timer) return;
    this.timer = setInterval(() => {
      this.stream.write(`\r${frames[this.frame++ % frames.length]} ${label}`);
    }, 80);
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.stream.write('\r\u001b[2K');
  }
}
