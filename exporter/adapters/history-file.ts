import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../../common/errors.js';
import { reasonOf, type ProblemReporter } from '../health/conditions.js';
import type { HistoryData, HistoryStore } from '../supervisor/history.js';
import { writeFileAtomic } from './atomic-file.js';

/**
 * Keeps the task history in `<dir>/tasks.json`, written to a temp file and renamed so a crash never tears
 * it. A write the state dir refuses is reported, not thrown: the history stays in memory, and `retry`
 * (called periodically) or the next write saves all of it.
 */
export function fileHistoryStore(dir: string, report: ProblemReporter = () => undefined): HistoryStore & { retry(): void } {
  const path = join(dir, 'tasks.json');
  let unsaved: HistoryData | undefined;
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
      unsaved = data;
      try {
        writeFileAtomic(path, JSON.stringify(data));
        unsaved = undefined;
        report(undefined);
      } catch (err) {
        report({ code: 'EW_STATE_WRITE', reason: reasonOf(err), message: `state.dir: cannot write ${path} (${errorMessage(err)}); versions applied since are kept in memory only` });
      }
    },
    retry() {
      if (unsaved) this.save(unsaved);
    },
  };
}
