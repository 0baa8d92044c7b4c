import { rowsOf } from './query-rows';

/** TypeORM's `query()` answers in two shapes; callers want the rows of either. */
describe('rowsOf', () => {
  it('takes the rows of an UPDATE … RETURNING answer, [rows, count]', () => {
    expect(rowsOf([[{ id: 'a' }, { id: 'b' }], 2])).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(rowsOf([[], 0])).toEqual([]);
  });

  it('returns a SELECT or INSERT answer, the rows themselves, as it is', () => {
    expect(rowsOf([{ id: 'a' }, { id: 'b' }])).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(rowsOf([])).toEqual([]);
    // Two rows of which the second is a number would be a strange SELECT, but not [rows, count].
    expect(rowsOf([{ id: 'a' }, 2])).toEqual([{ id: 'a' }, 2]);
  });
});
