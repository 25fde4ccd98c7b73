/**
 * A small reading of Okta's SCIM-like `filter` / `search` expressions:
 * `attr op "value"` joined by `and` / `or`, with parentheses; ops eq ne gt ge lt le sw co pr.
 * Date attributes compare as instants, so `"2024-01-01T00:00:00Z"` matches stored ISO strings.
 */
export type Predicate = (read: (attribute: string) => string | null | undefined) => boolean;

export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
}

const OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sw', 'co', 'pr'] as const;
export type Op = (typeof OPS)[number];

/** What one endpoint's expressions may say: the operators allowed on each attribute (undefined: unknown attribute). */
export interface FilterGrammar {
  opsOf(attribute: string): readonly Op[] | undefined;
  dates: ReadonlySet<string>;
  /** String values compare without regard to case (Okta's users `filter`). Default false. */
  caseInsensitive?: boolean;
}
const TOKEN_SOURCE = String.raw`\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+)`;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = new RegExp(TOKEN_SOURCE, 'y');
  let end = 0;
  let match = pattern.exec(text);
  while (match !== null) {
    tokens.push(match[1] ?? '');
    end = pattern.lastIndex;
    match = pattern.exec(text);
  }
  if (text.slice(end).trim() !== '') throw new FilterSyntaxError(`cannot read ${text}`);
  return tokens;
}

function compare(op: Op, rawActual: string, rawExpected: string, caseInsensitive: boolean): boolean {
  const actual = caseInsensitive ? rawActual.toLowerCase() : rawActual;
  const expected = caseInsensitive ? rawExpected.toLowerCase() : rawExpected;
  switch (op) {
    case 'eq': return actual === expected;
    case 'ne': return actual !== expected;
    case 'gt': return actual > expected;
    case 'ge': return actual >= expected;
    case 'lt': return actual < expected;
    case 'le': return actual <= expected;
    case 'sw': return actual.toLowerCase().startsWith(expected.toLowerCase());
    case 'co': return actual.toLowerCase().includes(expected.toLowerCase());
    case 'pr': return true;
  }
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: string[], private readonly grammar: FilterGrammar) {}

  parse(): Predicate {
    const predicate = this.or();
    if (this.at < this.tokens.length) throw new FilterSyntaxError(`unexpected ${this.tokens[this.at]}`);
    return predicate;
  }

  private next(): string {
    const token = this.tokens[this.at++];
    if (token === undefined) throw new FilterSyntaxError('unexpected end of expression');
    return token;
  }

  private or(): Predicate {
    const parts = [this.and()];
    while (this.tokens[this.at]?.toLowerCase() === 'or') { this.at++; parts.push(this.and()); }
    return parts.length === 1 ? parts[0]! : (read) => parts.some((p) => p(read));
  }

  private and(): Predicate {
    const parts = [this.factor()];
    while (this.tokens[this.at]?.toLowerCase() === 'and') { this.at++; parts.push(this.factor()); }
    return parts.length === 1 ? parts[0]! : (read) => parts.every((p) => p(read));
  }

  private factor(): Predicate {
    const token = this.next();
    if (token === '(') {
      const inner = this.or();
      if (this.next() !== ')') throw new FilterSyntaxError('missing )');
      return inner;
    }
    const allowed = this.grammar.opsOf(token);
    if (!allowed) throw new FilterSyntaxError(`unsupported attribute ${token}`);
    const op = this.next().toLowerCase() as Op;
    if (!OPS.includes(op) || !allowed.includes(op)) throw new FilterSyntaxError(`unsupported operator ${op} for ${token}`);
    if (op === 'pr') return (read) => { const v = read(token); return v !== null && v !== undefined; };
    const expected = this.value(token, this.next());
    const folded = this.grammar.caseInsensitive === true && !this.grammar.dates.has(token);
    return (read) => {
      const actual = read(token);
      return actual !== null && actual !== undefined && compare(op, actual, expected, folded);
    };
  }

  private value(attribute: string, token: string): string {
    if (!token.startsWith('"')) throw new FilterSyntaxError(`value for ${attribute} must be quoted`);
    const text = JSON.parse(token) as string;
    if (!this.grammar.dates.has(attribute)) return text;
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new FilterSyntaxError(`not a date: ${text}`);
    return new Date(ms).toISOString();
  }
}

/** Compiles an expression over the given attributes (every operator allowed); throws FilterSyntaxError on anything else. */
export function compileFilter(text: string, attributes: ReadonlySet<string>, dateAttributes: ReadonlySet<string>): Predicate {
  return compileWith(text, { opsOf: (a) => (attributes.has(a) ? OPS : undefined), dates: dateAttributes });
}

/** Compiles an expression under an endpoint's grammar; throws FilterSyntaxError on anything it does not allow. */
export function compileWith(text: string, grammar: FilterGrammar): Predicate {
  return new Parser(tokenize(text), grammar).parse();
}
