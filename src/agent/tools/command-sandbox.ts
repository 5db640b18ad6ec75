/** How to start one shell command line: the program and arguments put before `/bin/sh -c …`. */
export interface CommandLaunch {
  /** Program to spawn (`bwrap`). */
  file: string;
  /** Its arguments; the shell and the command line are appended. */
  args: string[];
  /** The whole environment of the spawned program; nothing of the server's is inherited. */
  env: Record<string, string>;
  /** Folder the program is started in (on the host). */
  cwd: string;
}

/** Confines terminal commands; the terminal tool refuses to run when it throws. */
export interface CommandSandbox {
  /** What commands see, for the tool description (`/workspace`, no network, …). */
  readonly description: string;
  /**
   * How to run a command confined to `workspace` (a real, absolute path). Throws MnemosError
   * `config_error` naming the cause when the sandbox cannot run here; never falls back to running
   * the command unconfined.
   */
  launch(workspace: string): Promise<CommandLaunch>;
}
