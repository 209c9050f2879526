/** Revisions of a service, newest first, each with "roll back to this". */
import { useEffect, useState } from 'preact/hooks';
import { call, describeError, svcPath, type Revision, type RolloutStatus } from '../api.ts';
import { clock } from '../format.ts';
import type { RequestAction } from './confirm.tsx';

export function RevisionHistory({ status: s, canAct, request, changeKey }: { status: RolloutStatus; canAct: boolean; request: RequestAction; changeKey: string }) {
  const [revisions, setRevisions] = useState<Revision[] | string>([]);
  useEffect(() => {
    call<Revision[]>('GET', `${svcPath(s.service)}/revisions`).then(setRevisions, (err: unknown) => setRevisions(describeError(err)));
  }, [s.service, changeKey]);

  if (typeof revisions === 'string') return <p class="result err">{revisions}</p>;
  const current = s.canaryRevision?.number ?? s.stableRevision?.number;
  return (
    <div class="table-wrap" role="region" aria-label="revisions" tabIndex={0}>
      <table>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Version</th>
            <th scope="col">Strategy</th>
            <th scope="col">Created</th>
            <th scope="col">Role</th>
            <th scope="col">
              <span class="visually-hidden">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {[...revisions].reverse().map((r) => {
            const role = s.revisions.find((x) => x.number === r.number)?.role ?? '';
            return (
              <tr key={r.number} data-revision={r.number}>
                <td>{r.number}</td>
                <td>{r.version}</td>
                <td>{r.strategy}</td>
                <td>{clock(r.createdAt)}</td>
                <td>{role}</td>
                <td>
                  {r.number !== current && (
                    <button
                      type="button"
                      class="small"
                      disabled={!canAct}
                      onClick={() =>
                        request({
                          verb: `Roll ${s.service} back to ${r.version}`,
                          what: `Start a new rollout of revision #${r.number} (${r.version}, "${r.command}") with ${r.strategy}; it replaces ${s.stableRevision ? `${s.stableRevision.version} (#${s.stableRevision.number})` : 'the current revision'}.`,
                          danger: true,
                          run: () => call<RolloutStatus>('POST', `${svcPath(s.service)}/undo`, { toRevision: r.number }),
                        })
                      }
                    >
                      Roll back to this
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
