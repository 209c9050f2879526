/**
 * A container's output, followed through the Engine API, demultiplexed
 * (stdout and stderr frames) and appended to the same per-instance log file a
 * process would write, so `cutover logs` works alike. The file is opened
 * O_APPEND with mode 0600 (output may hold secrets), so rotation by
 * copytruncate (local/log-rotation.ts) works on it too. A restarted controller
 * follows again from the log's last write, so what was printed while no
 * controller ran is not lost.
 */
import { createWriteStream, statSync } from 'node:fs';
import type Docker from 'dockerode';

export interface LogFollower {
  /** Resolves when the container's output ended (it stopped) and all of it is in the file. */
  readonly done: Promise<void>;
  close(): void;
}

export async function followLogs(docker: Docker, containerId: string, logFile: string, fromStart: boolean): Promise<LogFollower> {
  const since = fromStart ? 0 : lastWriteSeconds(logFile);
  const out = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  out.on('error', () => {}); // a log removed by hand must not take the controller down
  const stream = (await docker.getContainer(containerId).logs({ follow: true, stdout: true, stderr: true, since })) as NodeJS.ReadableStream & { destroy(): void };
  docker.modem.demuxStream(stream, out, out);
  stream.on('error', () => {});
  const done = new Promise<void>((resolve) => {
    out.on('close', resolve);
    out.on('error', () => resolve());
  });
  stream.on('end', () => out.end());
  stream.on('close', () => out.end());
  return {
    done,
    close() {
      stream.destroy();
      out.end();
    },
  };
}

/** Unix seconds (fractional: the API takes them) of the log's last write; 0 when there is no log yet. */
function lastWriteSeconds(file: string): number {
  try {
    return statSync(file).mtimeMs / 1000;
  } catch {
    return 0;
  }
}
