/**
 * A small, safe expression language for analysis conditions, e.g.
 * `result >= 0.99`, `len(result) > 0 && result[0] < 0.3`, `!(result == "down")`.
 * Hand-written tokenizer and recursive-descent parser: the text is never given
 * to `eval` or `Function`. `compileExpression` checks the syntax, the names
 * (only the ones allowed) and the functions once, at config time; `evaluate`
 * then runs the tree over values and throws ExpressionError on a type mismatch.
 *
 * Grammar (lowest precedence first):
 *   or      := and (("||" | "or") and)*
 *   and     := not (("&&" | "and") not)*
 *   not     := ("!" | "not") not | compare
 *   compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
 *   sum     := product (("+" | "-") product)*
 *   product := unary (("*" | "/" | "%") unary)*
 *   unary   := "-" unary | postfix
 *   postfix := primary ("[" or "]" | "." name)*
 *   primary := number | string | true | false | nil | name | name "(" args ")" | "(" or ")"
 *
 * Functions: len(x), abs(x), min(a, b), max(a, b), isNaN(x), isInf(x), default(x, fallback).
 */

export type Value = number | string | boolean | null | Value[] | { [k: string]: Value };

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** A checked expression, ready to evaluate many times. */
export interface Expression {
  readonly source: string;
  evaluate(vars: Record<string, unknown>): Value;
}

/**
 * Parses `source`; throws ExpressionError naming the position and what was expected.
 *
 * @example compileExpression('result[0] >= 0.95', ['result']).evaluate({ result: [0.97] }) // true
 */
export function compileExpression(source: string, names: readonly string[] = ['result']): Expression {
  const p = new Parser(tokenize(source), new Set(names));
  const tree = p.or();
  p.end();
  return { source, evaluate: (vars) => run(tree, vars) };
}

type Node =
  | { k: 'lit'; v: Value }
  | { k: 'var'; name: string }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'idx'; a: Node; i: Node }
  | { k: 'call'; fn: string; args: Node[] };

interface Token {
  t: 'num' | 'str' | 'name' | 'op' | 'end';
  v: string;
  at: number;
}

const FUNCTIONS: Record<string, number> = { len: 1, abs: 1, min: 2, max: 2, isNaN: 1, isInf: 1, default: 2 };
const OPS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')', '[', ']', ',', '.'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)/i.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: num[0], at: i });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) {
      out.push({ t: 'name', v: name[0], at: i });
      i += name[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new ExpressionError(`unterminated string starting at column ${i + 1}`);
      out.push({ t: 'str', v: s, at: i });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected "${c}" at column ${i + 1}`);
    out.push({ t: 'op', v: op, at: i });
    i += op.length;
  }
  out.push({ t: 'end', v: '', at: src.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly names: Set<string>,
  ) {}

  end(): void {
    const t = this.peek();
    if (t.t !== 'end') throw this.fail(`unexpected "${t.v}"`);
  }

  or(): Node {
    let a = this.and();
    while (this.take('||') || this.takeWord('or')) a = { k: 'bin', op: '||', a, b: this.and() };
    return a;
  }

  private and(): Node {
    let a = this.not();
    while (this.take('&&') || this.takeWord('and')) a = { k: 'bin', op: '&&', a, b: this.not() };
    return a;
  }

  private not(): Node {
    if (this.take('!') || this.takeWord('not')) return { k: 'un', op: '!', a: this.not() };
    return this.compare();
  }

  private compare(): Node {
    const a = this.sum();
    for (const op of ['==', '!=', '<=', '>=', '<', '>']) if (this.take(op)) return { k: 'bin', op, a, b: this.sum() };
    return a;
  }

  private sum(): Node {
    let a = this.product();
    for (;;) {
      const op = this.take('+') ? '+' : this.take('-') ? '-' : null;
      if (!op) return a;
      a = { k: 'bin', op, a, b: this.product() };
    }
  }

  private product(): Node {
    let a = this.unary();
    for (;;) {
      const op = this.take('*') ? '*' : this.take('/') ? '/' : this.take('%') ? '%' : null;
      if (!op) return a;
      a = { k: 'bin', op, a, b: this.unary() };
    }
  }

  private unary(): Node {
    if (this.take('-')) return { k: 'un', op: '-', a: this.unary() };
    return this.postfix();
  }

  private postfix(): Node {
    let a = this.primary();
    for (;;) {
      if (this.take('[')) {
        a = { k: 'idx', a, i: this.or() };
        this.expect(']');
      } else if (this.take('.')) {
        const t = this.next();
        if (t.t !== 'name') throw this.fail('expected a field name after "."', t);
        a = { k: 'idx', a, i: { k: 'lit', v: t.v } };
      } else return a;
    }
  }

  private primary(): Node {
    const t = this.next();
    if (t.t === 'num') return { k: 'lit', v: Number(t.v) };
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'op' && t.v === '(') {
      const a = this.or();
      this.expect(')');
      return a;
    }
    if (t.t !== 'name') throw this.fail(t.t === 'end' ? 'the expression ends too early' : `unexpected "${t.v}"`, t);
    if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
    if (t.v === 'nil' || t.v === 'null') return { k: 'lit', v: null };
    if (this.take('(')) return this.call(t);
    if (!this.names.has(t.v)) throw this.fail(`unknown name "${t.v}" (known: ${[...this.names].join(', ')})`, t);
    return { k: 'var', name: t.v };
  }

  private call(t: Token): Node {
    const arity = FUNCTIONS[t.v];
    if (arity === undefined) throw this.fail(`unknown function "${t.v}" (known: ${Object.keys(FUNCTIONS).join(', ')})`, t);
    const args: Node[] = [];
    if (!this.take(')')) {
      do args.push(this.or());
      while (this.take(','));
      this.expect(')');
    }
    if (args.length !== arity) throw this.fail(`${t.v}() takes ${arity} argument(s), got ${args.length}`, t);
    return { k: 'call', fn: t.v, args };
  }

  private peek(): Token {
    return this.toks[this.i]!;
  }

  private next(): Token {
    const t = this.toks[this.i]!;
    if (t.t !== 'end') this.i++;
    return t;
  }

  private take(op: string): boolean {
    const t = this.peek();
    if (t.t !== 'op' || t.v !== op) return false;
    this.i++;
    return true;
  }

  private takeWord(w: string): boolean {
    const t = this.peek();
    if (t.t !== 'name' || t.v !== w) return false;
    this.i++;
    return true;
  }

  private expect(op: string): void {
    if (!this.take(op)) throw this.fail(`expected "${op}"`);
  }

  private fail(msg: string, t: Token = this.peek()): ExpressionError {
    return new ExpressionError(`${msg} at column ${t.at + 1}`);
  }
}

function run(n: Node, vars: Record<string, unknown>): Value {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'var':
      return (vars[n.name] ?? null) as Value;
    case 'un': {
      const a = run(n.a, vars);
      return n.op === '!' ? !bool(a, '!') : -num(a, '-');
    }
    case 'idx':
      return index(run(n.a, vars), run(n.i, vars));
    case 'call':
      return call(n.fn, n.args.map((a) => run(a, vars)));
    case 'bin':
      return binary(n.op, n.a, n.b, vars);
  }
}

function binary(op: string, an: Node, bn: Node, vars: Record<string, unknown>): Value {
  const a = run(an, vars);
  if (op === '&&') return bool(a, '&&') && bool(run(bn, vars), '&&');
  if (op === '||') return bool(a, '||') || bool(run(bn, vars), '||');
  const b = run(bn, vars);
  if (op === '==') return same(a, b);
  if (op === '!=') return !same(a, b);
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (['<', '<=', '>', '>='].includes(op)) {
    if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
      throw new ExpressionError(`cannot compare ${show(a)} ${op} ${show(b)}`);
    }
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  const x = num(a, op);
  const y = num(b, op);
  return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y;
}

function call(fn: string, args: Value[]): Value {
  const [a, b] = args as [Value, Value];
  switch (fn) {
    case 'len':
      if (typeof a === 'string' || Array.isArray(a)) return a.length;
      if (a !== null && typeof a === 'object') return Object.keys(a).length;
      throw new ExpressionError(`len() needs a list or a string, got ${show(a)}`);
    case 'abs':
      return Math.abs(num(a, 'abs'));
    case 'min':
      return Math.min(num(a, 'min'), num(b, 'min'));
    case 'max':
      return Math.max(num(a, 'max'), num(b, 'max'));
    case 'isNaN':
      return typeof a === 'number' && Number.isNaN(a);
    case 'isInf':
      return typeof a === 'number' && !Number.isFinite(a) && !Number.isNaN(a);
    default:
      return a === null || a === undefined ? b : a;
  }
}

function index(a: Value, i: Value): Value {
  if (Array.isArray(a)) {
    const k = num(i, '[]');
    const v = a[k < 0 ? a.length + k : k];
    if (v === undefined) throw new ExpressionError(`index ${k} is out of range (the list has ${a.length} item(s))`);
    return v;
  }
  if (a !== null && typeof a === 'object' && typeof i === 'string') return a[i] ?? null;
  throw new ExpressionError(`cannot index ${show(a)} with ${show(i)}`);
}

function same(a: Value, b: Value): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function num(v: Value, op: string): number {
  if (typeof v !== 'number') throw new ExpressionError(`"${op}" needs a number, got ${show(v)}`);
  return v;
}

function bool(v: Value, op: string): boolean {
  if (typeof v !== 'boolean') throw new ExpressionError(`"${op}" needs true or false, got ${show(v)}`);
  return v;
}

function show(v: Value): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
