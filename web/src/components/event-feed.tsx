/** The rollout events of a service, newest first. */
import type { RolloutEvent } from '../api.ts';
import { clock } from '../format.ts';

export function EventFeed({ events }: { events: RolloutEvent[] }) {
  if (events.length === 0) return <p class="muted">No events yet.</p>;
  return (
    <ol class="events" aria-label="rollout events, newest first" tabIndex={0}>
      {[...events].reverse().map((e) => (
        <li key={e.id}>
          <time dateTime={new Date(e.time).toISOString()}>{clock(e.time)}</time> <strong>{e.type}</strong>
          {e.revision !== undefined && <span class="muted"> #{e.revision}</span>} <span>{e.reason}</span>
        </li>
      ))}
    </ol>
  );
}
