/** Bytes sniffed at the start of a file to decide whether it is text. */
export const sniffBytes = 8192;

/**
 * Heuristic binary check on a file's first bytes, as git does: a NUL byte, or mostly control
 * characters, means the content is not text worth showing to a model.
 */
export function looksBinary(sample: Uint8Array): boolean {
  if (sample.length === 0) return false;
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return true;
    if (byte < 32 && byte !== 9 && byte !== 10 && byte !== 12 && byte !== 13 && byte !== 27) {
      control += 1;
    }
  }
  return control / sample.length > 0.3;
}

/** Human form of a byte count for notes to the model. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
