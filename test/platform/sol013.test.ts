import { FilterSyntaxError, matchesFilter, parseFilter, parseSelector, selectAttributes, SelectorError } from '../../platform/index.js';

const opOcc = {
  id: 'op-1',
  operationState: 'COMPLETED',
  startTime: '2026-03-01T10:00:00Z',
  isAutomaticInvocation: false,
  retries: 3,
  resourceChanges: {
    affectedVnfcs: [
      { id: 'vnfc-1', changeType: 'ADDED', vduId: 'fw' },
      { id: 'vnfc-2', changeType: 'REMOVED', vduId: 'lb' },
    ],
  },
  description: "it's (really) done, finally",
  _links: { self: { href: '/x' } },
};

const matches = (filter: string): boolean => matchesFilter(opOcc, parseFilter(filter));

describe('SOL 013 filter expressions', () => {
  it('parses terms, values lists, nested paths and quoted values', () => {
    expect(parseFilter("(eq,a/b,1,'x,y');(cont,c,'it''s')")).toEqual([
      { op: 'eq', path: ['a', 'b'], values: ['1', 'x,y'] },
      { op: 'cont', path: ['c'], values: ["it's"] },
    ]);
  });

  it('compares equality on strings, numbers and booleans', () => {
    expect(matches('(eq,operationState,COMPLETED)')).toBe(true);
    expect(matches('(eq,operationState,FAILED_TEMP,COMPLETED)')).toBe(true);
    expect(matches('(neq,operationState,COMPLETED)')).toBe(false);
    expect(matches('(eq,retries,3)')).toBe(true);
    expect(matches('(eq,retries,03)')).toBe(true);
    expect(matches('(eq,isAutomaticInvocation,false)')).toBe(true);
    expect(matches('(in,operationState,PROCESSING,COMPLETED)')).toBe(true);
    expect(matches('(nin,operationState,PROCESSING,COMPLETED)')).toBe(false);
  });

  it('orders numbers numerically and ISO dates as strings', () => {
    expect(matches('(gt,retries,2)')).toBe(true);
    expect(matches('(gt,retries,10)')).toBe(false);
    expect(matches('(lte,retries,3)')).toBe(true);
    expect(matches('(gte,startTime,2026-03-01T00:00:00Z)')).toBe(true);
    expect(matches('(lt,startTime,2026-01-01T00:00:00Z)')).toBe(false);
    expect(matches('(gt,retries,abc)')).toBe(false);
  });

  it('matches any element when the path crosses an array, and none for the negations', () => {
    expect(matches('(eq,resourceChanges/affectedVnfcs/vduId,lb)')).toBe(true);
    expect(matches('(eq,resourceChanges/affectedVnfcs/vduId,dpi)')).toBe(false);
    expect(matches('(neq,resourceChanges/affectedVnfcs/vduId,lb)')).toBe(false);
    expect(matches('(neq,resourceChanges/affectedVnfcs/vduId,dpi)')).toBe(true);
  });

  it('tests substrings with cont and ncont', () => {
    expect(matches("(cont,description,'(really)')")).toBe(true);
    expect(matches('(ncont,description,really)')).toBe(false);
    expect(matches('(cont,retries,3)')).toBe(false);
  });

  it('treats an absent attribute as matching no positive term and every negative one', () => {
    expect(matches('(eq,nope,x)')).toBe(false);
    expect(matches('(neq,nope,x)')).toBe(true);
  });

  it('requires every term joined by ;', () => {
    expect(matches('(eq,operationState,COMPLETED);(gt,retries,1)')).toBe(true);
    expect(matches('(eq,operationState,COMPLETED);(gt,retries,5)')).toBe(false);
  });

  it.each([
    ['', /expected "\(" to open a term/],
    ['eq,a,1', /expected "\("/],
    ['(eq,a,1', /expected "\)"/],
    ['(eq,a)', /needs a value/],
    ['(like,a,1)', /unknown operator "like"/],
    ['(gt,a,1,2)', /exactly one value/],
    ["(eq,a,'1)", /unterminated quoted value/],
    ['(eq,a//b,1)', /not an attribute path/],
    ['(eq,a,1)x', /expected ";" or the end/],
    ['(eq,a,1);', /expected "\("/],
  ])('refuses %p with a reason', (text, reason) => {
    expect(() => parseFilter(text)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(text)).toThrow(reason);
  });

  it('refuses attributes the resource does not have when told which it has', () => {
    const known = (path: readonly string[]): boolean => ['id', 'operationState'].includes(path[0] as string);
    expect(() => parseFilter('(eq,operationState,X)', known)).not.toThrow();
    expect(() => parseFilter('(eq,operationStat,X)', known)).toThrow(/unknown attribute "operationStat"/);
  });

  it('bounds the work a filter can ask for', () => {
    expect(() => parseFilter('(eq,a,1);'.repeat(2000).slice(0, -1))).toThrow(/longer than|more than/);
  });
});

describe('SOL 013 attribute selectors', () => {
  const shape = { defaultExcluded: ['resourceChanges'], mandatory: ['_links'] };

  it('leaves out the default exclusion set when nothing is asked', () => {
    const selected = selectAttributes(opOcc, parseSelector({}), shape);
    expect(selected).not.toHaveProperty('resourceChanges');
    expect(selected).toHaveProperty('_links');
    expect(selected).toHaveProperty('retries', 3);
    expect(opOcc).toHaveProperty('resourceChanges');
  });

  it('includes everything with all_fields', () => {
    expect(selectAttributes(opOcc, parseSelector({ all_fields: '' }), shape)).toEqual(opOcc);
  });

  it('with fields, keeps simple attributes, mandatory ones, and only the complex ones named', () => {
    const selected = selectAttributes({ ...opOcc, extra: { a: 1 } }, parseSelector({ fields: 'resourceChanges/affectedVnfcs' }), shape);
    expect(selected).toHaveProperty('resourceChanges.affectedVnfcs');
    expect(selected).not.toHaveProperty('extra');
    expect(selected).toHaveProperty('_links');
    expect(selected).toHaveProperty('operationState');
  });

  it('with exclude_default and fields, removes only the default set not named', () => {
    const selected = selectAttributes(
      { ...opOcc, extra: { a: 1 } },
      parseSelector({ exclude_default: '', fields: 'resourceChanges' }),
      shape,
    );
    expect(selected).toHaveProperty('resourceChanges');
    expect(selected).toHaveProperty('extra');
  });

  it('removes named paths with exclude_fields, inside arrays too', () => {
    const selected = selectAttributes(opOcc, parseSelector({ exclude_fields: 'resourceChanges/affectedVnfcs/vduId,description' }), shape);
    expect(selected).not.toHaveProperty('description');
    expect(selected.resourceChanges?.affectedVnfcs.map((vnfc) => Object.keys(vnfc))).toEqual([
      ['id', 'changeType'],
      ['id', 'changeType'],
    ]);
  });

  it.each([
    [{ all_fields: '', fields: 'a' }, 'fields'],
    [{ all_fields: '', exclude_default: '' }, 'exclude_default'],
    [{ exclude_fields: 'a', fields: 'b' }, 'fields'],
    [{ exclude_fields: 'a', exclude_default: '' }, 'exclude_default'],
    [{ fields: '' }, 'fields'],
    [{ fields: 'a,,b' }, 'fields'],
  ])('refuses %p', (query, parameter) => {
    expect(() => parseSelector(query)).toThrow(SelectorError);
    try {
      parseSelector(query);
    } catch (error) {
      expect((error as SelectorError).parameter).toBe(parameter);
    }
  });
});
