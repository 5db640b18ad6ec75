/** Tokens one or more model calls used. */
export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
}
