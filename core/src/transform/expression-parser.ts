/**
 * The parser of stream-map expressions: the subset of Python expressions Meltano's stream maps use (its SDK
 * evaluates them with simpleeval), parsed into a tree — never evaluated as code. Precedence follows Python.
 */

export type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'name'; n: string }
  | { k: 'list'; items: Node[] }
  | { k: 'neg'; a: Node }
  | { k: 'not'; a: Node }
  | { k: 'bin'; op: '+' | '-' | '*' | '/' | '//' | '%' | '**'; a: Node; b: Node }
  | { k: 'and' | 'or'; a: Node; b: Node }
  | { k: 'cmp'; op: '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not'; a: Node; b: Node }
  | { k: 'if'; test: Node; a: Node; b: Node }
  | { k: 'call'; f: Node; args: Node[] }
  | { k: 'index'; obj: Node; idx: Node }
  | { k: 'slice'; obj: Node; lo?: Node; hi?: Node }
  | { k: 'attr'; obj: Node; name: string };

/** An expression that cannot be parsed or evaluated; the stream map adds the stream, record and property. */
export class ExpressionError extends Error {}

type Token = { t: 'num' | 'str' | 'name' | 'op' | 'end'; v: string; at: number };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else', 'None', 'True', 'False']);
const OPERATORS = ['**', '//', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '<', '>', '(', ')', '[', ']', ',', '.', ':'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i));
    if (number && /[\d.]/.test(c) && !(c === '.' && !/\d/.test(text[i + 1] ?? ''))) {
      tokens.push({ t: 'num', v: number[0], at: i });
      i += number[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) {
        if (text[j] === '\\' && j + 1 < text.length) value += ESCAPES[text[++j]!] ?? `\\${text[j]}`;
        else value += text[j];
      }
      if (j >= text.length) throw new ExpressionError(`unterminated string starting at position ${i + 1}`);
      tokens.push({ t: 'str', v: value, at: i });
      i = j + 1;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (name) {
      tokens.push({ t: 'name', v: name[0], at: i });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected character "${c}" at position ${i + 1}`);
    tokens.push({ t: 'op', v: op, at: i });
    i += op.length;
  }
  tokens.push({ t: 'end', v: '', at: text.length });
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }
  private is(v: string, t: Token['t'] = 'op'): boolean {
    const tok = this.peek();
    return tok.v === v && (tok.t === t || (t === 'op' && tok.t === 'name' && KEYWORDS.has(v)));
  }
  private accept(v: string): boolean {
    if (!this.is(v)) return false;
    this.i++;
    return true;
  }
  private expect(v: string): void {
    if (!this.accept(v)) throw this.unexpected(`"${v}"`);
  }
  private unexpected(wanted: string): ExpressionError {
    const tok = this.peek();
    return new ExpressionError(
      tok.t === 'end' ? `expected ${wanted} at the end` : `expected ${wanted} at position ${tok.at + 1}, found "${tok.v}"`,
    );
  }

  parse(): Node {
    const node = this.test();
    if (this.peek().t !== 'end') throw this.unexpected('the end of the expression');
    return node;
  }

  private test(): Node {
    const a = this.or();
    if (!this.accept('if')) return a;
    const test = this.or();
    this.expect('else');
    return { k: 'if', test, a, b: this.test() };
  }
  private or(): Node {
    let a = this.and();
    while (this.accept('or')) a = { k: 'or', a, b: this.and() };
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.accept('and')) a = { k: 'and', a, b: this.not() };
    return a;
  }
  private not(): Node {
    return this.accept('not') ? { k: 'not', a: this.not() } : this.comparison();
  }
  private comparison(): Node {
    const first = this.sum();
    let left = first;
    let result: Node | undefined;
    for (;;) {
      let op: Extract<Node, { k: 'cmp' }>['op'] | undefined;
      for (const o of ['==', '!=', '<=', '>=', '<', '>'] as const) if (!op && this.accept(o)) op = o;
      if (!op && this.accept('in')) op = 'in';
      if (!op && this.is('not') && this.tokens[this.i + 1]?.v === 'in') {
        this.i += 2;
        op = 'not in';
      }
      if (!op && this.accept('is')) op = this.accept('not') ? 'is not' : 'is';
      if (!op) return result ?? first;
      const right = this.sum();
      // Python chains comparisons: a < b < c is a < b and b < c.
      const cmp: Node = { k: 'cmp', op, a: left, b: right };
      result = result ? { k: 'and', a: result, b: cmp } : cmp;
      left = right;
    }
  }
  private sum(): Node {
    let a = this.term();
    for (;;) {
      if (this.accept('+')) a = { k: 'bin', op: '+', a, b: this.term() };
      else if (this.accept('-')) a = { k: 'bin', op: '-', a, b: this.term() };
      else return a;
    }
  }
  private term(): Node {
    let a = this.unary();
    for (;;) {
      const op = (['*', '//', '/', '%'] as const).find((o) => this.accept(o));
      if (!op) return a;
      a = { k: 'bin', op, a, b: this.unary() };
    }
  }
  private unary(): Node {
    if (this.accept('-')) return { k: 'neg', a: this.unary() };
    if (this.accept('+')) return this.unary();
    return this.power();
  }
  private power(): Node {
    const a = this.postfix();
    return this.accept('**') ? { k: 'bin', op: '**', a, b: this.unary() } : a;
  }
  private postfix(): Node {
    let node = this.atom();
    for (;;) {
      if (this.accept('(')) {
        const args: Node[] = [];
        while (!this.accept(')')) {
          args.push(this.test());
          if (!this.is(')')) this.expect(',');
        }
        node = { k: 'call', f: node, args };
      } else if (this.accept('[')) {
        const lo = this.is(':') ? undefined : this.test();
        if (this.accept(':')) {
          const hi = this.is(']') ? undefined : this.test();
          this.expect(']');
          node = { k: 'slice', obj: node, ...(lo ? { lo } : {}), ...(hi ? { hi } : {}) };
        } else {
          this.expect(']');
          node = { k: 'index', obj: node, idx: lo! };
        }
      } else if (this.accept('.')) {
        const name = this.next();
        if (name.t !== 'name') throw new ExpressionError(`expected a method name after "." at position ${name.at + 1}`);
        node = { k: 'attr', obj: node, name: name.v };
      } else return node;
    }
  }
  private atom(): Node {
    const tok = this.next();
    if (tok.t === 'num') return { k: 'lit', v: numberLiteral(tok.v) };
    if (tok.t === 'str') {
      let v = tok.v;
      // Adjacent literals concatenate, as in Python.
      while (this.peek().t === 'str') v += this.next().v;
      return { k: 'lit', v };
    }
    if (tok.t === 'name') {
      if (tok.v === 'None') return { k: 'lit', v: null };
      if (tok.v === 'True') return { k: 'lit', v: true };
      if (tok.v === 'False') return { k: 'lit', v: false };
      if (KEYWORDS.has(tok.v)) {
        this.i--;
        throw this.unexpected('a value');
      }
      return { k: 'name', n: tok.v };
    }
    if (tok.v === '(') {
      const inner = this.test();
      this.expect(')');
      return inner;
    }
    if (tok.v === '[') {
      const items: Node[] = [];
      while (!this.accept(']')) {
        items.push(this.test());
        if (!this.is(']')) this.expect(',');
      }
      return { k: 'list', items };
    }
    this.i--;
    throw this.unexpected('a value');
  }
}

function numberLiteral(text: string): number | bigint {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return Number(text);
}

/** Parses an expression; throws ExpressionError saying where it is wrong. */
export function parseExpression(text: string): Node {
  return new Parser(tokenize(text)).parse();
}
