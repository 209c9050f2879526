/**
 * Every action goes through one confirmation that names what will happen,
 * then shows the API's answer (or error) in a live region.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, type RolloutStatus } from '../api.ts';

export interface ActionRequest {
  /** Button text of the confirmation, e.g. "Abort". */
  verb: string;
  /** What will happen, in one or two sentences. */
  what: string;
  danger?: boolean;
  /** The API call; a rollout's status is summarised here, anything else says what it did in `text`. */
  run: () => Promise<RolloutStatus | { text: string }>;
}

export type RequestAction = (req: ActionRequest) => void;

export function useActionRunner(): { request: RequestAction; ui: ComponentChildren } {
  const [pending, setPending] = useState<ActionRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (pending && !d.open) d.showModal();
    if (!pending && d.open) d.close();
  }, [pending]);

  const close = () => {
    setPending(null);
    opener.current?.focus();
  };
  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    try {
      const s = await pending.run();
      if ('text' in s) {
        setResult({ ok: true, text: `${pending.verb}: done — ${s.text}` });
      } else {
        const step = s.steps > 0 && s.canaryRevision ? `, step ${Math.min(s.stepIndex + 1, s.steps)}/${s.steps}, weight ${s.weight}%` : '';
        setResult({ ok: true, text: `${pending.verb}: done — ${s.service} is ${s.phase}${step}. ${s.message}` });
      }
    } catch (err) {
      setResult({ ok: false, text: `${pending.verb} failed: ${describeError(err)}` });
    } finally {
      setBusy(false);
      close();
    }
  };

  const request: RequestAction = (req) => {
    opener.current = document.activeElement as HTMLElement | null;
    setResult(null);
    setPending(req);
  };

  const ui = (
    <>
      <dialog ref={dialog} class="confirm" aria-labelledby="confirm-title" onClose={() => pending && close()}>
        {pending && (
          <form method="dialog" onSubmit={(e) => (e.preventDefault(), void confirm())}>
            <h2 id="confirm-title">{pending.verb}?</h2>
            <p>{pending.what}</p>
            <div class="row">
              <button type="submit" class={pending.danger ? 'danger' : 'primary'} disabled={busy} autofocus>
                {busy ? 'Working…' : `Confirm: ${pending.verb}`}
              </button>
              <button type="button" onClick={close} disabled={busy}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </dialog>
      <p role="status" aria-live="polite" class={`result ${result ? (result.ok ? 'ok' : 'err') : ''}`}>
        {result?.text ?? ''}
      </p>
    </>
  );
  return { request, ui };
}
