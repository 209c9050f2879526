/**
 * The labels every Cutover container carries. They are how a restarted
 * controller finds its containers again (adopt) and how `docker ps` shows
 * whose they are; the state dir label keeps two Cutovers on one daemon apart.
 */
import type { InstanceSpec } from '../provider.ts';

export const LABEL = {
  service: 'cutover.service',
  revision: 'cutover.revision',
  instance: 'cutover.instance',
  stateDir: 'cutover.state-dir',
} as const;

export function containerLabels(spec: InstanceSpec, id: string, stateDir: string): Record<string, string> {
  return {
    [LABEL.service]: spec.service,
    [LABEL.revision]: String(spec.revision),
    [LABEL.instance]: id,
    [LABEL.stateDir]: stateDir,
  };
}

/** A container name people can read in `docker ps`; the instance id is unique in its state dir. */
export function containerName(id: string): string {
  return `cutover-${id}`;
}
