import { readFileSync } from 'node:fs';

/**
 * The values of a JSON-lines journal, oldest first. A missing file is empty (`found: false`); a line that
 * does not parse (torn by a power cut or a crash mid-append) is skipped, and the journal's own rules say
 * what the lines before it mean.
 */
export function readJsonLines(path: string): { found: boolean; values: unknown[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { found: false, values: [] };
  }
  const values: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      values.push(JSON.parse(line));
    } catch {
      // torn or garbled: skipped
    }
  }
  return { found: text.length > 0, values };
}
