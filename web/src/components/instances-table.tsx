/** The service's instances and, on request, their recent log lines. */
import { useState } from 'preact/hooks';
import { call, describeError, svcPath, type InstanceStatus } from '../api.ts';
import { duration } from '../format.ts';

export function InstancesTable({ service, instances }: { service: string; instances: InstanceStatus[] }) {
  const [open, setOpen] = useState<string | null>(null);
  const [lines, setLines] = useState<string[] | string>([]);
  const now = Date.now();

  const showLogs = async (id: string) => {
    if (open === id) return setOpen(null);
    setOpen(id);
    setLines('loading…');
    try {
      setLines((await call<{ lines: string[] }>('GET', `${svcPath(service)}/instances/${encodeURIComponent(id)}/logs?lines=50`)).lines);
    } catch (err) {
      setLines(describeError(err));
    }
  };

  if (instances.length === 0) return <p class="muted">No instances.</p>;
  // With `hosts:` instances run on several machines: say which.
  const hosts = new Set(instances.map((i) => i.host)).size > 1;
  return (
    <div class="table-wrap" role="region" aria-label="instances" tabIndex={0}>
      <table>
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Revision</th>
            {hosts && <th scope="col">Host</th>}
            <th scope="col">PID</th>
            <th scope="col">Port</th>
            <th scope="col">State</th>
            <th scope="col">Restarts</th>
            <th scope="col">Uptime</th>
            <th scope="col">Logs</th>
          </tr>
        </thead>
        <tbody>
          {instances.map((i) => (
            <>
              <tr key={i.id}>
                <td class="mono">{i.id}</td>
                <td>
                  {i.version} #{i.revision}
                </td>
                {hosts && <td class="mono">{i.host}</td>}
                <td>{i.pid}</td>
                <td>{i.port}</td>
                <td>
                  <span class={i.ready ? 'ok-text' : 'warn-text'}>{i.ready ? 'ready' : i.state}</span>
                </td>
                <td>{i.restarts}</td>
                <td>{duration(now - i.startedAt)}</td>
                <td>
                  <button type="button" class="small" aria-expanded={open === i.id} onClick={() => void showLogs(i.id)}>
                    {open === i.id ? 'Hide' : 'Show'}
                  </button>
                </td>
              </tr>
              {open === i.id && (
                <tr key={i.id + '-logs'}>
                  <td colSpan={hosts ? 9 : 8}>
                    <pre class="logs" tabIndex={0} aria-label={`last log lines of ${i.id}`}>
                      {typeof lines === 'string' ? lines : lines.join('\n') || '(no output yet)'}
                    </pre>
                  </td>
                </tr>
              )}
            </>
          ))}
        </tbody>
      </table>
    </div>
  );
}
