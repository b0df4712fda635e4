import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startLab } from '../../lab/world';
import { controlCall, fastLabFiles } from './lab-fixture';

/**
 * A stopped lab leaves nothing open on its state file: the functions' runtimes (the process-wide
 * one, or one per function with `functionsOnClock`) close their SQLite stores and checkpoint
 * workers. SQLite deletes the `-wal` file only when the last connection to the database closes:
 * before the fix every lab left its worker (and its store's connection) open until the process
 * ended, and the file stayed. A second lab on the same state file then starts and serves as usual.
 */
test.each([
  ['the default runtime', false],
  ['one runtime per function (functionsOnClock)', true],
])('stop() closes the state store of %s', async (_what, functionsOnClock) => {
  const files = fastLabFiles();
  const wal = `${files.stateFile}-wal`;
  try {
    const lab = await startLab({ ...files, background: false, functionsOnClock });
    // The first tick (in startLab) and a control call have each built a runtime and written state.
    expect((await controlCall(lab, 'GET', '/v1/status')).status).toBe(200);
    expect(existsSync(wal)).toBe(true);
    await lab.stop();
    expect(existsSync(wal)).toBe(false);

    // The same state file again, as `npm start` after a stop: the new lab's runtime serves it.
    const again = await startLab({ ...files, background: false, functionsOnClock });
    try {
      expect((await controlCall(again, 'GET', '/v1/status')).status).toBe(200);
    } finally {
      await again.stop();
    }
    expect(existsSync(wal)).toBe(false);
  } finally {
    rmSync(path.dirname(files.stateFile), { recursive: true, force: true });
  }
});
