/** Where a secret sits in a text, and what kind it is. */
export interface SecretFinding {
  /** Offset of the first character. */
  start: number;
  /** Offset after the last character. */
  end: number;
  /** Marker kind, as in `[REDACTED:<kind>]`. */
  kind: string;
}
