/** One-line reasons for runners that cannot run, for the report's table cells. */

/** A short, specific reason for a failed import of `specifier`. */
export function explainImportError(specifier: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | null)?.code;
  const notBuilt =
    (code === 'ERR_MODULE_NOT_FOUND' && /[\\/]dist[\\/]/.test(msg)) ||
    /Failed to resolve entry for package/.test(msg);
  if (notBuilt) return `${specifier} is not built (no dist/)`;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
    return `${specifier} cannot be resolved (${firstLine(msg)})`;
  }
  return `${specifier} failed to load: ${firstLine(msg)}`;
}

/** First line of a message, trimmed for a table cell. */
export function firstLine(msg: string): string {
  const line = msg.split('\n')[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
