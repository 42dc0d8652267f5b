/**
 * ETSI GS NFV-SOL 013 attribute-based filtering (clause 5.2): `filter=(op,attr,value[,value...])[;(...)]`.
 *
 * - Terms joined by `;` must all hold.
 * - `attr` is a path of attribute names joined by `/`; when the path crosses an array, the term holds if it
 *   holds for at least one element (`neq`, `nin`, `ncont`: if it holds for every element).
 * - A value holding `,`, `(`, `)`, `;` or `'` is written between single quotes, a quote inside as `''`.
 * - `eq` / `in` hold when the attribute equals any listed value, `neq` / `nin` when it equals none;
 *   `cont` / `ncont` test substrings of string attributes; `gt`, `gte`, `lt`, `lte` take exactly one value
 *   and compare numbers numerically and everything else as strings (ISO 8601 dates order correctly).
 */

export type FilterOperator = 'eq' | 'neq' | 'in' | 'nin' | 'gt' | 'gte' | 'lt' | 'lte' | 'cont' | 'ncont';

export interface FilterTerm {
  op: FilterOperator;
  path: string[];
  values: string[];
}

export type Filter = FilterTerm[];

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at character ${position + 1})`);
    this.name = 'FilterSyntaxError';
  }
}

const OPERATORS: ReadonlySet<string> = new Set(['eq', 'neq', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'cont', 'ncont']);
const SINGLE_VALUE: ReadonlySet<FilterOperator> = new Set(['gt', 'gte', 'lt', 'lte']);
const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

export const FILTER_LIMITS = { length: 8192, terms: 64, values: 256 } as const;

/**
 * Parses a filter expression. `isKnownAttribute`, when given, refuses paths the resource does not have, as
 * SOL 013 asks ("400 Bad Request" for an unknown attribute).
 */
export function parseFilter(text: string, isKnownAttribute?: (path: readonly string[]) => boolean): Filter {
  if (text.length > FILTER_LIMITS.length) throw new FilterSyntaxError(`longer than ${FILTER_LIMITS.length} characters`, FILTER_LIMITS.length);
  const reader = new FilterReader(text);
  const terms: Filter = [];
  do {
    if (terms.length === FILTER_LIMITS.terms) throw new FilterSyntaxError(`more than ${FILTER_LIMITS.terms} terms`, reader.position);
    const term = reader.readTerm();
    if (isKnownAttribute && !isKnownAttribute(term.path)) {
      throw new FilterSyntaxError(`unknown attribute "${term.path.join('/')}"`, reader.termStart);
    }
    terms.push(term);
  } while (reader.consume(';'));
  if (!reader.atEnd()) throw new FilterSyntaxError(`expected ";" or the end, found "${reader.peek()}"`, reader.position);
  return terms;
}

class FilterReader {
  position = 0;
  termStart = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string {
    return this.text[this.position] ?? '';
  }

  consume(char: string): boolean {
    if (this.peek() !== char) return false;
    this.position += 1;
    return true;
  }

  expect(char: string, what: string): void {
    if (!this.consume(char)) {
      const found = this.atEnd() ? 'the end' : `"${this.peek()}"`;
      throw new FilterSyntaxError(`expected ${what}, found ${found}`, this.position);
    }
  }

  readTerm(): FilterTerm {
    this.termStart = this.position;
    this.expect('(', '"(" to open a term');
    const opStart = this.position;
    const op = this.readBare();
    if (!OPERATORS.has(op)) {
      throw new FilterSyntaxError(`unknown operator "${op}" (use one of ${[...OPERATORS].join(', ')})`, opStart);
    }
    this.expect(',', '"," after the operator');
    const attrStart = this.position;
    const path = this.readBare().split('/');
    for (const name of path) {
      if (!ATTRIBUTE_NAME.test(name)) throw new FilterSyntaxError(`"${path.join('/')}" is not an attribute path`, attrStart);
    }
    const values: string[] = [];
    while (this.consume(',')) {
      if (values.length === FILTER_LIMITS.values) throw new FilterSyntaxError(`more than ${FILTER_LIMITS.values} values`, this.position);
      values.push(this.readValue());
    }
    this.expect(')', '")" to close the term');
    const operator = op as FilterOperator;
    if (values.length === 0) throw new FilterSyntaxError(`"${op}" needs a value`, this.position - 1);
    if (SINGLE_VALUE.has(operator) && values.length !== 1) {
      throw new FilterSyntaxError(`"${op}" takes exactly one value, got ${values.length}`, this.termStart);
    }
    return { op: operator, path, values };
  }

  private readBare(): string {
    const start = this.position;
    while (!this.atEnd() && !',();\''.includes(this.peek())) this.position += 1;
    return this.text.slice(start, this.position);
  }

  private readValue(): string {
    if (!this.consume("'")) return this.readBare();
    let value = '';
    for (;;) {
      if (this.atEnd()) throw new FilterSyntaxError('unterminated quoted value', this.position);
      const char = this.peek();
      this.position += 1;
      if (char !== "'") {
        value += char;
      } else if (this.consume("'")) {
        value += "'";
      } else {
        return value;
      }
    }
  }
}

/** Whether a resource representation satisfies every term. */
export function matchesFilter(resource: unknown, filter: Filter): boolean {
  return filter.every((term) => matchesTerm(resource, term));
}

function matchesTerm(resource: unknown, term: FilterTerm): boolean {
  const found = valuesAt(resource, term.path);
  switch (term.op) {
    case 'eq':
    case 'in':
      return found.some((value) => term.values.some((operand) => equalsOperand(value, operand)));
    case 'neq':
    case 'nin':
      return found.every((value) => term.values.every((operand) => !equalsOperand(value, operand)));
    case 'cont':
      return found.some((value) => typeof value === 'string' && term.values.some((operand) => value.includes(operand)));
    case 'ncont':
      return found.every((value) => typeof value !== 'string' || term.values.every((operand) => !value.includes(operand)));
    case 'gt':
      return found.some((value) => compareWithOperand(value, term.values[0] as string) > 0);
    case 'gte':
      return found.some((value) => compareWithOperand(value, term.values[0] as string) >= 0);
    case 'lt':
      return found.some((value) => compareWithOperand(value, term.values[0] as string) < 0);
    case 'lte':
      return found.some((value) => compareWithOperand(value, term.values[0] as string) <= 0);
  }
}

type Scalar = string | number | boolean | null;

function valuesAt(node: unknown, path: readonly string[]): Scalar[] {
  if (Array.isArray(node)) return node.flatMap((element) => valuesAt(element, path));
  if (path.length === 0) {
    if (node === null || typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return [node];
    return [];
  }
  if (node === null || typeof node !== 'object') return [];
  const [head, ...rest] = path;
  return valuesAt((node as Record<string, unknown>)[head as string], rest);
}

function equalsOperand(value: Scalar, operand: string): boolean {
  if (typeof value === 'number') return operand.trim() !== '' && Number(operand) === value;
  if (value === null) return operand === 'null';
  return String(value) === operand;
}

/** NaN-free ordering: numbers against numeric operands, otherwise string order. Incomparable is -0 / never. */
function compareWithOperand(value: Scalar, operand: string): number {
  if (value === null) return Number.NaN;
  if (typeof value === 'number') {
    const number = Number(operand);
    if (operand.trim() === '' || Number.isNaN(number)) return Number.NaN;
    return value - number;
  }
  const text = String(value);
  return text < operand ? -1 : text > operand ? 1 : 0;
}
