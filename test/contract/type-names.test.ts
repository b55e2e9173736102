import { describe, expect, it } from 'vitest';
import { FIELD_TYPES, mapTypeName, parseTypeName, type FieldType, type TypeDialect } from '../../src/contract/index.js';

type Case = [string, FieldType];

function check(dialect: TypeDialect, cases: Case[]): void {
  for (const [name, type] of cases) expect(mapTypeName(name, dialect), `${dialect}: ${name}`).toBe(type);
}

describe('mapTypeName', () => {
  it('sql: Spark / OpenLineage schema facet names', () => {
    check('sql', [
      ['string', 'string'],
      ['varchar(20)', 'string'],
      ['char(3)', 'string'],
      ['boolean', 'boolean'],
      ['tinyint', 'int'],
      ['byte', 'int'],
      ['smallint', 'int'],
      ['short', 'int'],
      ['integer', 'int'],
      ['int', 'int'],
      ['bigint', 'long'],
      ['long', 'long'],
      ['float', 'float'],
      ['real', 'float'],
      ['double', 'double'],
      ['decimal(10,2)', 'decimal'],
      ['decimal(38, 18)', 'decimal'],
      ['date', 'date'],
      ['timestamp', 'timestamp'],
      ['timestamp_ntz', 'timestamp'],
      ['binary', 'binary'],
      ['array<string>', 'array'],
      ['map<string,int>', 'map'],
      ['struct<a:int,b:string>', 'struct'],
      ['interval day to second', 'unknown'],
      ['void', 'unknown'],
      ['void_unknown_thing', 'unknown'],
    ]);
  });

  it('sql: other engines, case and spacing', () => {
    check('sql', [
      ['VARCHAR(255)', 'string'],
      ['character varying(10)', 'string'],
      ['Double Precision', 'double'],
      ['  BIGINT  ', 'long'],
      ['INT NOT NULL', 'int'],
      ['int unsigned', 'long'],
      ['bigint unsigned', 'long'],
      ['float(24)', 'float'],
      ['float(53)', 'double'],
      ['numeric', 'decimal'],
      ['NUMBER(38,0)', 'decimal'],
      ['timestamp(3) with time zone', 'timestamp'],
      ['timestamp with local time zone', 'timestamp'],
      ['timestamptz', 'timestamp'],
      ['datetime2(7)', 'timestamp'],
      ['time', 'unknown'],
      ['time with time zone', 'unknown'],
      ['bytea', 'binary'],
      ['uuid', 'string'],
      ['jsonb', 'string'],
      ['integer[]', 'array'],
      ['int array', 'array'],
      ['row(a integer, b varchar)', 'struct'],
      ['ARRAY<INT64>', 'array'],
      ['INT64', 'long'],
      ['FLOAT64', 'double'],
      ['BYTES', 'binary'],
      ['bool', 'boolean'],
    ]);
  });

  it('pandas: str(dtype) names as pandas 3 prints them', () => {
    check('pandas', [
      ['bool', 'boolean'],
      ['boolean', 'boolean'],
      ['int8', 'int'],
      ['int16', 'int'],
      ['int32', 'int'],
      ['int64', 'long'],
      ['uint8', 'int'],
      ['uint16', 'int'],
      ['uint32', 'long'],
      ['uint64', 'long'],
      ['Int8', 'int'],
      ['Int64', 'long'],
      ['UInt8', 'int'],
      ['UInt64', 'long'],
      ['float16', 'float'],
      ['float32', 'float'],
      ['Float32', 'float'],
      ['float64', 'double'],
      ['Float64', 'double'],
      ['float128', 'double'],
      ['object', 'string'],
      ['string', 'string'],
      ['str', 'string'],
      ['category', 'string'],
      ['datetime64[ns]', 'timestamp'],
      ['datetime64[us, UTC]', 'timestamp'],
      ['datetime64[ns, Europe/Paris]', 'timestamp'],
      ['timedelta64[ns]', 'unknown'],
      ['period[D]', 'unknown'],
      ['interval[int64, right]', 'unknown'],
      ['Sparse[float64, nan]', 'unknown'],
      ['complex128', 'unknown'],
      ['int64[pyarrow]', 'long'],
      ['decimal128(10, 2)[pyarrow]', 'decimal'],
      ['timestamp[us, tz=UTC][pyarrow]', 'timestamp'],
      ['list<item: string>[pyarrow]', 'array'],
      ['string[pyarrow]', 'string'],
    ]);
  });

  it('pandas: numpy dtype.str codes, where case matters', () => {
    check('pandas', [
      ['|b1', 'boolean'],
      ['|i1', 'int'],
      ['<i4', 'int'],
      ['<i8', 'long'],
      ['<u4', 'long'],
      ['<u8', 'long'],
      ['<f2', 'float'],
      ['<f4', 'float'],
      ['<f8', 'double'],
      ['<f16', 'double'],
      ['<c16', 'unknown'],
      ['|O', 'string'],
      ['<U5', 'string'],
      ['|S10', 'binary'],
      ['<M8[ns]', 'timestamp'],
      ['<m8[ns]', 'unknown'],
    ]);
  });

  it('pandas: infer_dtype answers for object, string and category columns', () => {
    check('pandas', [
      ['empty', 'string'],
      ['integer', 'long'],
      ['floating', 'double'],
      ['mixed-integer-float', 'double'],
      ['bytes', 'binary'],
      ['decimal', 'decimal'],
      ['date', 'date'],
      ['datetime', 'timestamp'],
      ['mixed', 'unknown'],
      ['mixed-integer', 'unknown'],
    ]);
  });

  it('arrow: pyarrow str(type) names', () => {
    check('arrow', [
      ['null', 'unknown'],
      ['bool', 'boolean'],
      ['int8', 'int'],
      ['int32', 'int'],
      ['uint16', 'int'],
      ['int64', 'long'],
      ['uint32', 'long'],
      ['uint64', 'long'],
      ['halffloat', 'float'],
      ['float', 'float'],
      ['double', 'double'],
      ['string', 'string'],
      ['large_string', 'string'],
      ['string_view', 'string'],
      ['binary', 'binary'],
      ['large_binary', 'binary'],
      ['fixed_size_binary[16]', 'binary'],
      ['date32[day]', 'date'],
      ['date64[ms]', 'date'],
      ['timestamp[ns]', 'timestamp'],
      ['timestamp[us, tz=UTC]', 'timestamp'],
      ['time32[s]', 'unknown'],
      ['time64[us]', 'unknown'],
      ['duration[ms]', 'unknown'],
      ['month_day_nano_interval', 'unknown'],
      ['decimal32(5, 2)', 'decimal'],
      ['decimal128(10, 2)', 'decimal'],
      ['decimal256(40, 2)', 'decimal'],
      ['list<item: int64>', 'array'],
      ['large_list<item: double>', 'array'],
      ['fixed_size_list<item: int32>[3]', 'array'],
      ['list_view<item: int8>', 'array'],
      ['struct<a: int64, b c: string not null>', 'struct'],
      ['map<string, int64>', 'map'],
      ['dictionary<values=string, indices=int32, ordered=0>', 'string'],
      ['dense_union<a: int8=0>', 'unknown'],
      ['extension<arrow.uuid>', 'string'],
    ]);
  });

  it('arrow: Parquet physical, converted and logical type names', () => {
    check('arrow', [
      ['BOOLEAN', 'boolean'],
      ['INT32', 'int'],
      ['INT64', 'long'],
      ['INT96', 'timestamp'],
      ['FLOAT', 'float'],
      ['DOUBLE', 'double'],
      ['BYTE_ARRAY', 'binary'],
      ['FIXED_LEN_BYTE_ARRAY', 'binary'],
      ['UTF8', 'string'],
      ['STRING', 'string'],
      ['ENUM', 'string'],
      ['JSON', 'string'],
      ['BSON', 'binary'],
      ['UUID', 'string'],
      ['DATE', 'date'],
      ['TIME_MILLIS', 'unknown'],
      ['TIMESTAMP_MILLIS', 'timestamp'],
      ['TIMESTAMP_MICROS', 'timestamp'],
      ['TIMESTAMP', 'timestamp'],
      ['DECIMAL', 'decimal'],
      ['INT_8', 'int'],
      ['UINT_16', 'int'],
      ['INT_64', 'long'],
      ['UINT_32', 'long'],
      ['UINT_64', 'long'],
      ['INTEGER(16,false)', 'int'],
      ['INTEGER(32,true)', 'int'],
      ['INTEGER(32,false)', 'long'],
      ['INTEGER(64,true)', 'long'],
      ['Int(bitWidth=8, isSigned=true)', 'int'],
      ['LIST', 'array'],
      ['MAP', 'map'],
      ['INTERVAL', 'unknown'],
      ['FLOAT16', 'float'],
    ]);
  });

  it('avro: primitive, complex and logical type names', () => {
    check('avro', [
      ['null', 'unknown'],
      ['boolean', 'boolean'],
      ['int', 'int'],
      ['long', 'long'],
      ['float', 'float'],
      ['double', 'double'],
      ['bytes', 'binary'],
      ['string', 'string'],
      ['record', 'struct'],
      ['enum', 'string'],
      ['array', 'array'],
      ['map', 'map'],
      ['fixed', 'binary'],
      ['union', 'unknown'],
      ['decimal', 'decimal'],
      ['uuid', 'string'],
      ['date', 'date'],
      ['time-millis', 'unknown'],
      ['time-micros', 'unknown'],
      ['timestamp-millis', 'timestamp'],
      ['timestamp-micros', 'timestamp'],
      ['timestamp-nanos', 'timestamp'],
      ['local-timestamp-millis', 'timestamp'],
      ['duration', 'unknown'],
    ]);
  });

  it('only ever answers with the vocabulary, and never throws', () => {
    for (const dialect of ['sql', 'pandas', 'arrow', 'avro'] as const) {
      for (const name of [
        '',
        ' ',
        '<',
        'array<',
        'map<a>',
        'struct<',
        '[]',
        '<M8',
        'int(',
        'decimal(',
        '\u0000',
        'x'.repeat(10_000),
      ]) {
        expect(FIELD_TYPES).toContain(mapTypeName(name, dialect));
        expect(FIELD_TYPES).toContain(parseTypeName(name, dialect).type);
      }
    }
  });
});

describe('parseTypeName', () => {
  it('parses Spark nested types', () => {
    expect(parseTypeName('array<struct<a:int,`b c`:map<string,array<decimal(10,2)>>>>', 'sql')).toEqual({
      type: 'array',
      items: {
        type: 'struct',
        fields: [
          { name: 'a', type: 'int' },
          {
            name: 'b c',
            type: 'map',
            keys: { type: 'string', nullable: false },
            values: { type: 'array', items: { type: 'decimal' } },
          },
        ],
      },
    });
  });

  it('parses Trino rows, PostgreSQL arrays and Flink NOT NULL', () => {
    expect(parseTypeName('row(id bigint, tags array(varchar))', 'sql')).toEqual({
      type: 'struct',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'tags', type: 'array', items: { type: 'string' } },
      ],
    });
    expect(parseTypeName('integer[]', 'sql')).toEqual({ type: 'array', items: { type: 'int' } });
    expect(parseTypeName('ARRAY<INT NOT NULL> NOT NULL', 'sql')).toEqual({
      type: 'array',
      nullable: false,
      items: { type: 'int', nullable: false },
    });
    expect(parseTypeName('ROW<`a` INT, `b` STRING NOT NULL>', 'sql')).toEqual({
      type: 'struct',
      fields: [
        { name: 'a', type: 'int' },
        { name: 'b', type: 'string', nullable: false },
      ],
    });
  });

  it('parses pyarrow nested types with item names and not null', () => {
    expect(parseTypeName('struct<a: int64, b c: string not null, d: struct<e: bool>>', 'arrow')).toEqual({
      type: 'struct',
      fields: [
        { name: 'a', type: 'long' },
        { name: 'b c', type: 'string', nullable: false },
        { name: 'd', type: 'struct', fields: [{ name: 'e', type: 'boolean' }] },
      ],
    });
    expect(parseTypeName('list<x: int32 not null>', 'arrow')).toEqual({
      type: 'array',
      items: { type: 'int', nullable: false },
    });
    expect(parseTypeName('map<string, list<item: int8>>', 'arrow')).toEqual({
      type: 'map',
      keys: { type: 'string', nullable: false },
      values: { type: 'array', items: { type: 'int' } },
    });
    expect(parseTypeName('fixed_size_list<item: int32>[3]', 'arrow')).toEqual({
      type: 'array',
      items: { type: 'int' },
    });
    expect(parseTypeName('dictionary<values=string, indices=int32, ordered=0>', 'arrow')).toEqual({ type: 'string' });
    expect(parseTypeName('list<item: string>[pyarrow]', 'pandas')).toEqual({
      type: 'array',
      items: { type: 'string' },
    });
  });

  it('gives numpy bool and integer dtypes nullable false, pandas masked dtypes nullable', () => {
    expect(parseTypeName('int64', 'pandas')).toEqual({ type: 'long', nullable: false });
    expect(parseTypeName('bool', 'pandas')).toEqual({ type: 'boolean', nullable: false });
    expect(parseTypeName('<u2', 'pandas')).toEqual({ type: 'int', nullable: false });
    expect(parseTypeName('Int64', 'pandas')).toEqual({ type: 'long' });
    expect(parseTypeName('boolean', 'pandas')).toEqual({ type: 'boolean' });
    expect(parseTypeName('float64', 'pandas')).toEqual({ type: 'double' });
    expect(parseTypeName('object', 'pandas')).toEqual({ type: 'string' });
  });

  it('falls back to the flat mapping for what it cannot parse', () => {
    expect(parseTypeName('array<int', 'sql')).toEqual({ type: 'array' });
    expect(parseTypeName('map<string>', 'sql')).toEqual({ type: 'map' });
    expect(parseTypeName('timestamp-millis', 'avro')).toEqual({ type: 'timestamp' });
  });
});
