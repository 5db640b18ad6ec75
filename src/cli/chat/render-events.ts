import type { AgentEvent } from '../../core/agent-events.js';
import { clip } from '../support/output.js';
import type { Spinner, Style } from './style.js';

/** Shows agent events as they come: streamed text, visible tool calls and results, notices. */
export class EventRenderer {
  private atLineStart = true;
  private streamed = false;

  constructor(
    private readonly style: Style,
    private readonly spinner: Spinner,
    private readonly debug: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  /** Starts a turn: the spinner runs until the first token or tool call. */
  begin(): void {
    this.streamed = false;
    this.atLineStart = true;
    this.spinner.start('thinking…');
  }

  render(event: AgentEvent): void {
    switch (event.type) {
      case 'token':
        this.spinner.stop();
        this.write(event.text);
        this.streamed = true;
        break;
      case 'tool_call':
        this.spinner.stop();
        this.line(
          this.style.cyan(`⚙ ${event.name} ${clip(JSON.stringify(event.args ?? {}), 160)}`),
        );
        break;
      case 'tool_result':
        this.line(
          event.isError
            ? this.style.red(`✗ ${event.name}: ${clip(errorOf(event.result), 200)}`)
            : this.style.dim(`✓ ${event.name} ${clip(JSON.stringify(event.result ?? null), 120)}`),
        );
        this.spinner.start('thinking…');
        break;
      case 'model_fallback':
        this.line(
          this.style.yellow(
            `! ${event.from} failed (${clip(event.reason, 160)}); using ${event.to}`,
          ),
        );
        break;
      case 'compressed':
        this.line(
          this.style.dim(
            `(compressed ${event.summarized} earlier messages; continuing in session ${event.to})`,
          ),
        );
        break;
      case 'delegation_start':
        this.line(this.style.dim(`↳ delegated ${shortId(event.taskId)}: ${clip(event.goal, 160)}`));
        break;
      case 'delegation_done':
        this.line(
          this.style.dim(
            `↳ delegated ${shortId(event.taskId)} ${event.status} (${event.steps} steps, ${event.tokens} tokens${event.sessionId ? `, session ${event.sessionId}` : ''})`,
          ),
        );
        break;
      case 'notice':
        if (event.level !== 'debug' || this.debug)
          this.line(this.style.yellow(`! ${event.message}`));
        break;
      case 'done':
        this.spinner.stop();
        if (event.reason === 'failed')
          this.line(this.style.red(`error: ${event.error ?? 'the turn failed'}`));
        else if (event.reason === 'cancelled') this.line(this.style.dim('(cancelled)'));
        else if (!this.streamed && event.text) this.write(event.text);
        if (!this.atLineStart) this.write('\n');
        break;
    }
  }

  private line(text: string): void {
    if (!this.atLineStart) this.write('\n');
    this.write(`${text}\n`);
  }

  private write(text: string): void {
    if (text === '') return;
    this.out.write(text);
    this.atLineStart = text.endsWith('\n');
  }
}

/** The start of a task id: enough to tell the tasks of one turn apart. */
function shortId(taskId: string): string {
  return taskId.slice(0, 8);
}

function errorOf(result: unknown): string {
  if (result && typeof result === 'object' && 'error' in result)
    return String((result as { error: unknown }).error);
  return typeof result === 'string' ? result : JSON.stringify(result);
}
