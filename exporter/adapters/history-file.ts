import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import type { HistoryData, HistoryStore } from '../supervisor/history.js';

/** Keeps the task history in `<dir>/tasks.json`, written to a temp file and renamed so a crash never tears it. */
export function fileHistoryStore(dir: string): HistoryStore {
  const path = join(dir, 'tasks.json');
  return {
    load() {
      try {
        const data = JSON.parse(readFileSync(path, 'utf8')) as HistoryData;
        return data && typeof data === 'object' && data.tasks ? data : undefined;
      } catch {
        return undefined;
      }
    },
    save(data) {
      writeFileAtomic(path, JSON.stringify(data));
    },
  };
}
