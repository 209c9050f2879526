/**
 * Shadow columns: how a column changes shape while two app versions write it.
 *
 * Each changed column gets a shadow column of the new shape. One sync trigger
 * per operation converts in both directions, with pgroll's rule: a write
 * through the old version runs only `up` (old shape → shadow), a write
 * through the new version runs only `down` (shadow → old column). A backfill
 * runs `up` for the rows that exist. Complete drops the old columns and
 * renames the shadows into place, in one transaction.
 *
 * Everything attached to the old column comes along to the shadow, so
 * complete does not lose it: NOT NULL, default, comment, CHECK and FOREIGN KEY
 * constraints (added NOT VALID under a temporary name, validated at complete,
 * then given the original name), indexes and unique constraints (built
 * CONCURRENTLY under a temporary name), and the ownership of a serial's sequence.
 */
import { STAGE, concurrent, ddl, validate, type Action } from '../actions.ts';
import { InvalidOperationError } from '../errors.ts';
import type { ColumnModel, ConstraintModel, IndexModel, TableModel } from '../model.ts';
import { ident, literal, qualified, renameIdentifiers, shortName } from '../sql.ts';
import { createTrigger, withShape } from '../triggers.ts';
import { actionId, dropIndexSql, dropSyncTrigger, syncTrigger, tableRef } from './common.ts';
import type { ExpressionCheck, OpContext } from './types.ts';

export interface ShadowColumn {
  /** The live column. */
  old: ColumnModel;
  /** The column as the new version sees it; `physical` is the shadow's name. */
  next: ColumnModel;
  /** Old shape → new value (old-version writes, backfill). */
  up: string;
  /** New shape → old value (new-version writes). */
  down: string;
}

export interface Shadow {
  table: TableModel;
  columns: ShadowColumn[];
  /** Constraints (and their indexes) not carried to the shadows: the ones being dropped. */
  without: string[];
}

/** Extra steps of the operation itself, placed where they belong among the shadow's. */
export interface ShadowExtras {
  /** In the start transaction, after the shadows and their trigger exist. */
  ddl?: Action[];
  /** After the backfill (index builds). */
  concurrent?: Action[];
}

export function shadowName(column: string): string {
  return `_cutover_new_${column}`.slice(0, 63);
}

/** A shadow for `old`, with the new version's name and shape. */
export function shadowOf(old: ColumnModel, next: Partial<ColumnModel>, up: string | undefined, down: string | undefined): ShadowColumn {
  const col: ColumnModel = {
    name: next.name ?? old.name,
    physical: shadowName(old.physical),
    type: next.type ?? old.type,
    nullable: next.nullable ?? old.nullable,
    default: next.default === undefined ? old.default : next.default,
    comment: next.comment === undefined ? (old.comment ?? null) : next.comment,
    changed: true,
  };
  return { old, next: col, up: up ?? ident(old.name), down: down ?? ident(col.name) };
}

/** The new version's columns of the table: shadows in place of the columns they replace. */
export function newShape(s: Shadow): ColumnModel[] {
  return s.table.columns.map((c) => s.columns.find((x) => x.old.physical === c.physical)?.next ?? c);
}

/** An expression that is just the column itself needs no shadow (`up: name`, `down: name`). */
export function isIdentity(expr: string | undefined, column: string): boolean {
  if (expr === undefined) return true;
  const e = expr.trim().replace(/^\((.*)\)$/s, '$1').trim();
  return e === column || e === ident(column) || (e.toLowerCase() === column && /^[a-z_][a-z0-9_$]*$/.test(column));
}

/** Refuses what a shadow cannot carry safely; run from the operation's validate. */
export function validateShadow(ctx: OpContext, s: Shadow): void {
  const mine = new Set(s.columns.map((c) => c.old.physical));
  for (const { old } of s.columns) {
    if (old.changed) {
      throw new InvalidOperationError(ctx.kind, `column "${old.name}" of "${s.table.name}" was already changed earlier in this migration`, 'put the second change in the next migration');
    }
    if (s.table.primaryKey.includes(old.physical)) {
      throw new InvalidOperationError(ctx.kind, `"${old.name}" is part of the primary key of "${s.table.name}"`, 'add a new column and move the key in separate migrations');
    }
    if (old.identity || old.generated) {
      throw new InvalidOperationError(ctx.kind, `"${old.name}" of "${s.table.name}" is ${old.identity ? 'an identity' : 'a generated'} column, which cannot be copied to a new column`, 'add a new column instead');
    }
    const incoming = (s.table.referencedBy ?? []).find((fk) => fk.columns.includes(old.physical));
    if (incoming) {
      throw new InvalidOperationError(
        ctx.kind,
        `column "${old.name}" of "${s.table.name}" is referenced by foreign key "${incoming.name}" of "${incoming.table}", which complete could not keep`,
        'drop that foreign key in an earlier migration and create it again in a later one',
      );
    }
  }
  for (const c of carriedConstraints(s)) {
    const other = c.columns.find((p) => !mine.has(p) && !s.table.columns.some((col) => col.physical === p));
    if (other) {
      throw new InvalidOperationError(ctx.kind, `constraint "${c.name}" spans "${other}", which another operation of this migration changes`, 'put the two changes in separate migrations');
    }
    if (c.type === 'x') {
      throw new InvalidOperationError(ctx.kind, `exclusion constraint "${c.name}" on "${s.table.name}" cannot be copied to a new column`, 'drop it in an earlier migration and create it again afterwards');
    }
  }
}

export function shadowStart(ctx: OpContext, s: Shadow, extras: ShadowExtras = {}): Action[] {
  const ref = tableRef(ctx, s.table);
  const out: Action[] = [];
  // Columns, defaults, trigger and NOT VALID constraints in one transaction: no write sees a shadow without its trigger (pgroll#905).
  for (const { old, next } of s.columns) {
    const col = ident(next.physical);
    out.push(ddl(actionId(ctx, `add-shadow.${old.name}`), `ALTER TABLE ${ref} ADD COLUMN ${col} ${next.type}`));
    if (next.default !== null) out.push(ddl(actionId(ctx, `default.${old.name}`), `ALTER TABLE ${ref} ALTER COLUMN ${col} SET DEFAULT ${next.default}`));
    if (next.comment) out.push(ddl(actionId(ctx, `comment.${old.name}`), `COMMENT ON COLUMN ${ref}.${col} IS ${literal(next.comment)}`));
  }
  out.push(...createTrigger(trigger(ctx, s)));
  for (const { old, next } of s.columns) {
    if (next.nullable) continue;
    out.push(ddl(actionId(ctx, `not-null.${old.name}`), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(notNullName(ctx, s, old))} CHECK (${ident(next.physical)} IS NOT NULL) NOT VALID`));
  }
  const renames = physicalRenames(s);
  for (const c of carriedConstraints(s).filter((c) => c.type === 'c' || c.type === 'f')) {
    const def = c.type === 'c' ? renameIdentifiers(c.definition, renames) : rewriteForeignKey(c, renames);
    const sql = `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(carriedName(ctx, c.name))} ${def.replace(/\s+NOT VALID$/, '')} NOT VALID`;
    out.push(ddl(actionId(ctx, `carry-constraint.${c.name}`), sql));
  }
  out.push(...(extras.ddl ?? []));
  const key = s.table.primaryKey;
  out.push({ id: actionId(ctx, 'backfill'), kind: 'backfill', sql: '', stage: STAGE.drop, backfill: { table: ref, key, touch: s.columns[0]!.old.physical } });
  for (const i of carriedIndexes(s)) {
    const at = i.definition.indexOf(' USING ');
    const tail = renameIdentifiers(i.definition.slice(at), renames);
    const sql = `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${ident(carriedName(ctx, i.name))} ON ${ref}${tail}`;
    out.push(concurrent(actionId(ctx, `carry-index.${i.name}`), sql, dropIndexSql(ctx, carriedName(ctx, i.name))));
  }
  out.push(...(extras.concurrent ?? []));
  return out;
}

/** Validations first (outside the swap), then the swap: old columns out, shadows and carried objects in under the old names. */
export function shadowComplete(ctx: OpContext, s: Shadow): Action[] {
  const ref = tableRef(ctx, s.table);
  const out: Action[] = [];
  for (const { old, next } of s.columns) {
    if (!next.nullable) out.push(validate(actionId(ctx, `validate-not-null.${old.name}`), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${ident(notNullName(ctx, s, old))}`));
  }
  const carried = carriedConstraints(s).filter((c) => c.type === 'c' || c.type === 'f');
  for (const c of carried) {
    // A constraint that was NOT VALID on the old column stays NOT VALID, as it was.
    if (c.validated) out.push(validate(actionId(ctx, `validate-carried.${c.name}`), `ALTER TABLE ${ref} VALIDATE CONSTRAINT ${ident(carriedName(ctx, c.name))}`));
  }
  out.push(...dropSyncTrigger(ctx, s.table));
  for (const { old, next } of s.columns) {
    if (old.sequence) out.push(ddl(actionId(ctx, `sequence-owner.${old.name}`), `ALTER SEQUENCE ${old.sequence} OWNED BY ${ref}.${ident(next.physical)}`, STAGE.drop));
  }
  const drops = s.columns.map((c) => `DROP COLUMN ${ident(c.old.physical)}`).join(', ');
  out.push(ddl(actionId(ctx, 'drop-old'), `ALTER TABLE ${ref} ${drops}`, STAGE.drop));
  for (const c of carried) {
    out.push(ddl(actionId(ctx, `carry-constraint.${c.name}.rename`), `ALTER TABLE ${ref} RENAME CONSTRAINT ${ident(carriedName(ctx, c.name))} TO ${ident(c.name)}`, STAGE.rename));
  }
  for (const i of carriedIndexes(s)) {
    const tmp = ident(carriedName(ctx, i.name));
    if (i.constraint) {
      out.push(ddl(actionId(ctx, `carry-index.${i.name}.constraint`), `ALTER TABLE ${ref} ADD CONSTRAINT ${ident(i.constraint)} UNIQUE USING INDEX ${tmp}`, STAGE.constrain));
    } else {
      out.push(ddl(actionId(ctx, `carry-index.${i.name}.rename`), `ALTER INDEX ${qualified(ctx.model.schema, carriedName(ctx, i.name))} RENAME TO ${ident(i.name)}`, STAGE.rename));
    }
  }
  for (const { old, next } of s.columns) {
    out.push(ddl(actionId(ctx, `rename-shadow.${old.name}`), `ALTER TABLE ${ref} RENAME COLUMN ${ident(next.physical)} TO ${ident(next.name)}`, STAGE.rename));
  }
  const identity = s.table.replicaIdentity;
  const identityIndex = identity?.type === 'i' ? carriedIndexes(s).find((i) => i.name === identity.index) : undefined;
  for (const { old, next } of s.columns) {
    if (next.nullable) continue;
    // The validated CHECK (x IS NOT NULL) lets SET NOT NULL skip its table scan.
    out.push(ddl(actionId(ctx, `set-not-null.${old.name}`), `ALTER TABLE ${ref} ALTER COLUMN ${ident(next.name)} SET NOT NULL`, STAGE.constrain));
    out.push(ddl(actionId(ctx, `drop-not-null-check.${old.name}`), `ALTER TABLE ${ref} DROP CONSTRAINT IF EXISTS ${ident(notNullName(ctx, s, old))}`, STAGE.constrain));
  }
  if (identityIndex) {
    // Dropping the old column dropped the replica identity's index; its copy takes over.
    const name = identityIndex.constraint ?? identityIndex.name;
    out.push(ddl(actionId(ctx, 'replica-identity'), `ALTER TABLE ${ref} REPLICA IDENTITY USING INDEX ${ident(name)}`, STAGE.constrain));
  }
  return out;
}

/** Index builds first (outside any transaction), then trigger and shadows in one transaction. */
export function shadowRollback(ctx: OpContext, s: Shadow, extraIndexes: string[] = []): Action[] {
  const ref = tableRef(ctx, s.table);
  const out: Action[] = [];
  for (const i of carriedIndexes(s)) out.push(concurrent(actionId(ctx, `drop-carried-index.${i.name}`), dropIndexSql(ctx, carriedName(ctx, i.name))));
  for (const name of extraIndexes) out.push(concurrent(actionId(ctx, `drop-index.${name}`), dropIndexSql(ctx, name)));
  out.push(...dropSyncTrigger(ctx, s.table));
  const drops = s.columns.map((c) => `DROP COLUMN IF EXISTS ${ident(c.next.physical)}`).join(', ');
  out.push(ddl(actionId(ctx, 'drop-shadow'), `ALTER TABLE ${ref} ${drops}`, STAGE.drop));
  return out;
}

/**
 * The per-row expressions to prepare at start: each column's `up` against the
 * old version's columns, its `down` against the new version's, and each CHECK
 * constraint carried to a new type (so a check the new type cannot satisfy is
 * reported before anything changes). `label` names the field in the file.
 */
export function shadowExpressions(s: Shadow, label: { up: string | undefined; down: string | undefined } | ((dir: 'up' | 'down', column: string) => string)): ExpressionCheck[] {
  const name = (dir: 'up' | 'down', column: string) =>
    typeof label === 'function' ? label(dir, column) : (label[dir] ?? `${dir} (the default, ${dir === 'up' ? 'the old value' : 'the new value'} cast to the ${dir === 'up' ? 'new' : 'old'} type)`);
  const oldShape = s.table.columns.map((c) => ({ name: c.name, type: c.type }));
  const next = newShape(s);
  const nextShape = next.map((c) => ({ name: c.name, type: c.type }));
  const out: ExpressionCheck[] = [];
  for (const c of s.columns) {
    out.push({ field: name('up', c.old.name), sql: c.up, table: s.table.name, columns: oldShape, shape: 'old', purpose: `the new "${c.next.name}" from a row written by the old version` });
    out.push({ field: name('down', c.old.name), sql: c.down, table: s.table.name, columns: nextShape, shape: 'new', purpose: `the old "${c.old.name}" from a row written by the new version` });
  }
  const visible = new Map(next.map((c) => [c.physical, c.name]));
  for (const c of s.columns) visible.set(c.old.physical, c.next.name);
  for (const c of carriedConstraints(s).filter((x) => x.type === 'c')) {
    const body = c.definition.replace(/^CHECK\s*/i, '').replace(/\s+NOT VALID$/i, '').replace(/\s+NO INHERIT$/i, '');
    out.push({ field: `(constraint "${c.name}" of the column)`, sql: renameIdentifiers(body, visible), table: s.table.name, columns: nextShape, shape: 'new', purpose: `check constraint "${c.name}", which is copied to the new column` });
  }
  return out;
}

/** Shadow physical names by old physical name, for rewriting constraint and index definitions. */
export function physicalRenames(s: Shadow): Map<string, string> {
  return new Map(s.columns.map((c) => [c.old.physical, c.next.physical]));
}

function trigger(ctx: OpContext, s: Shadow) {
  const toNew = s.columns.map((c) => `NEW.${ident(c.next.physical)} := (${c.up});`).join('\n');
  const toOld = s.columns.map((c) => `NEW.${ident(c.old.physical)} := (${c.down});`).join('\n');
  return syncTrigger(ctx, s.table, {
    // Old-version writes and the backfill: only `up`.
    fromOld: withShape(s.table.columns, toNew),
    // New-version writes: only `down`, also on an UPDATE that leaves the changed column alone.
    fromNew: withShape(newShape(s), toOld),
  });
}

export function carriedConstraints(s: Shadow): ConstraintModel[] {
  const mine = new Set(s.columns.map((c) => c.old.physical));
  return (s.table.constraintDefs ?? []).filter((c) => ['c', 'f', 'x'].includes(c.type) && !s.without.includes(c.name) && c.columns.some((p) => mine.has(p)));
}

function carriedIndexes(s: Shadow): IndexModel[] {
  const mine = new Set(s.columns.map((c) => c.old.physical));
  return (s.table.indexes ?? []).filter((i) => {
    if (s.without.includes(i.name) || (i.constraint && s.without.includes(i.constraint))) return false;
    return (i.uses ?? i.columns).some((p) => mine.has(p));
  });
}

/** `FOREIGN KEY (a, b) REFERENCES t(x, y) ...` with the shadowed columns renamed in the first list only. */
function rewriteForeignKey(c: ConstraintModel, renames: Map<string, string>): string {
  const cols = c.columns.map((p) => ident(renames.get(p) ?? p)).join(', ');
  const rest = c.definition.slice(c.definition.indexOf(')') + 1);
  return `FOREIGN KEY (${cols})${rest}`;
}

function carriedName(ctx: OpContext, name: string): string {
  return shortName('_cutover', String(ctx.index), name);
}

function notNullName(ctx: OpContext, s: Shadow, old: ColumnModel): string {
  return shortName(s.table.physical, old.name, 'not_null', String(ctx.index));
}
