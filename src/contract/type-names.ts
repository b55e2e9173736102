import type { ElementType, FieldType, SchemaField } from './types.js';

/**
 * Where a native type name comes from:
 * - `sql`: SQL and OpenLineage schema-facet type names (Spark first: `integer`, `bigint`,
 *   `varchar(20)`, `decimal(10,2)`, `array<string>`; also Hive, Trino, Flink, PostgreSQL, MySQL, BigQuery).
 * - `pandas`: `str(dtype)` of a pandas Series (`int64`, `Int64`, `object`, `datetime64[ns, UTC]`,
 *   `int64[pyarrow]`) or a numpy `dtype.str` (`<i8`, `|O`, `<M8[ns]`).
 * - `arrow`: Arrow type names as pyarrow / Arrow C++ print them (`int64`, `large_string`,
 *   `timestamp[us, tz=UTC]`, `list<item: int64>`) and Parquet physical, converted or logical type names
 *   (`INT32`, `BYTE_ARRAY`, `UTF8`, `TIMESTAMP_MICROS`, `INTEGER(16,false)`).
 * - `avro`: Avro type names and logical type names (`long`, `record`, `timestamp-millis`).
 */
export type TypeDialect = 'sql' | 'pandas' | 'arrow' | 'avro';

type Table = Readonly<Record<string, FieldType>>;

function table(groups: Partial<Record<FieldType, string[]>>): Table {
  const out: Record<string, FieldType> = {};
  for (const [type, names] of Object.entries(groups) as [FieldType, string[]][]) for (const n of names) out[n] = type;
  return out;
}

const SQL: Table = table({
  string: [
    'string',
    'varchar',
    'char',
    'character',
    'character varying',
    'char varying',
    'nvarchar',
    'nchar',
    'national character',
    'national char',
    'national character varying',
    'national char varying',
    'text',
    'tinytext',
    'mediumtext',
    'longtext',
    'clob',
    'nclob',
    'bpchar',
    'uuid',
    'json',
    'jsonb',
    'xml',
    'citext',
    'enum',
    'varchar2',
    'nvarchar2',
    'long varchar',
  ],
  boolean: ['boolean', 'bool', 'bit'],
  int: [
    'tinyint',
    'byte',
    'smallint',
    'short',
    'int',
    'integer',
    'int2',
    'int4',
    'mediumint',
    'serial',
    'serial2',
    'serial4',
    'smallserial',
    'tinyint unsigned',
    'smallint unsigned',
    'mediumint unsigned',
  ],
  long: [
    'bigint',
    'long',
    'int8',
    'int64',
    'bigserial',
    'serial8',
    'int unsigned',
    'integer unsigned',
    'bigint unsigned',
  ],
  float: ['float', 'real', 'float4', 'binary_float'],
  double: ['double', 'double precision', 'float8', 'float64', 'binary_double'],
  decimal: ['decimal', 'numeric', 'number', 'dec', 'bignumeric', 'bigdecimal', 'money', 'smallmoney'],
  date: ['date'],
  timestamp: [
    'timestamp',
    'timestamp_ntz',
    'timestamp_ltz',
    'timestamp_tz',
    'timestamptz',
    'datetime',
    'datetime2',
    'smalldatetime',
    'datetimeoffset',
    'timestamp with time zone',
    'timestamp without time zone',
    'timestamp with local time zone',
  ],
  binary: [
    'binary',
    'varbinary',
    'binary varying',
    'bytea',
    'blob',
    'tinyblob',
    'mediumblob',
    'longblob',
    'bytes',
    'image',
    'raw',
    'long raw',
  ],
  array: ['array', 'multiset'],
  struct: ['struct', 'row', 'record'],
  map: ['map'],
});

const PANDAS: Table = table({
  boolean: ['bool', 'boolean', 'bool_'],
  int: ['int8', 'int16', 'int32', 'uint8', 'uint16'],
  long: ['int64', 'int', 'uint32', 'uint64', 'uint'],
  float: ['float16', 'float32', 'half', 'single'],
  double: ['float64', 'float', 'double', 'longdouble', 'float96', 'float128'],
  string: [
    'object',
    'string',
    'str',
    'string[python]',
    'string[pyarrow]',
    'string[pyarrow_numpy]',
    'str[python]',
    'str[pyarrow]',
    'category',
  ],
  binary: ['bytes_'],
});

/** `pandas.api.types.infer_dtype(values, skipna=True)` answers, for object, string and category columns. */
const PANDAS_INFERRED: Table = table({
  string: ['string', 'empty'],
  long: ['integer'],
  double: ['floating', 'mixed-integer-float'],
  boolean: ['boolean'],
  binary: ['bytes'],
  decimal: ['decimal'],
  date: ['date'],
  timestamp: ['datetime', 'datetime64'],
  unknown: [
    'mixed',
    'mixed-integer',
    'complex',
    'categorical',
    'timedelta',
    'timedelta64',
    'time',
    'period',
    'interval',
    'unknown-array',
  ],
});

const ARROW: Table = table({
  unknown: [
    'null',
    'na',
    'month_day_nano_interval',
    'day_time_interval',
    'month_interval',
    'time_millis',
    'time_micros',
    'time',
    'interval',
  ],
  boolean: ['bool', 'boolean'],
  int: ['int8', 'int16', 'int32', 'uint8', 'uint16', 'int_8', 'int_16', 'int_32', 'uint_8', 'uint_16'],
  long: ['int64', 'uint32', 'uint64', 'int_64', 'uint_32', 'uint_64'],
  decimal: ['decimal'],
  float: ['halffloat', 'float16', 'float', 'float32'],
  double: ['double', 'float64'],
  string: [
    'string',
    'utf8',
    'large_string',
    'large_utf8',
    'string_view',
    'utf8_view',
    'enum',
    'json',
    'uuid',
    'extension<arrow.uuid>',
    'extension<arrow.json>',
  ],
  binary: ['binary', 'large_binary', 'binary_view', 'byte_array', 'fixed_len_byte_array', 'bson'],
  date: ['date', 'date32', 'date64'],
  timestamp: ['int96', 'timestamp', 'timestamp_millis', 'timestamp_micros', 'timestamp_nanos'],
  array: ['list'],
  map: ['map', 'map_key_value'],
});

const AVRO: Table = table({
  unknown: ['null', 'union', 'time-millis', 'time-micros', 'duration'],
  boolean: ['boolean'],
  int: ['int'],
  long: ['long'],
  float: ['float'],
  double: ['double'],
  binary: ['bytes', 'fixed'],
  string: ['string', 'enum', 'uuid'],
  struct: ['record', 'error'],
  array: ['array'],
  map: ['map'],
  decimal: ['decimal', 'big-decimal'],
  date: ['date'],
  timestamp: [
    'timestamp-millis',
    'timestamp-micros',
    'timestamp-nanos',
    'local-timestamp-millis',
    'local-timestamp-micros',
    'local-timestamp-nanos',
  ],
});

const NOT_NULL = /\s+not\s+null$/i;

function integerBits(bits: number, signed: boolean): FieldType {
  return bits <= 16 || (signed && bits <= 32) ? 'int' : 'long';
}

function sqlType(raw: string): FieldType {
  const s = raw.trim().toLowerCase().replace(/\s+/g, ' ').replace(NOT_NULL, '');
  if (s.endsWith('[]') || s.endsWith(' array')) return 'array';
  const head = /^[a-z_][a-z0-9_ ]*/.exec(s)?.[0].trim() ?? '';
  if (head === 'float') {
    // SQL standard float(p): binary precision up to 24 bits is single precision.
    const p = /^float\s*\(\s*(\d+)\s*\)/.exec(s);
    if (p !== null) return Number(p[1]) <= 24 ? 'float' : 'double';
  }
  return SQL[head] ?? SQL[head.split(' ')[0] ?? ''] ?? 'unknown';
}

function pandasType(raw: string): FieldType {
  const s = raw.trim();
  if (s.endsWith('[pyarrow]')) return arrowType(s.slice(0, -'[pyarrow]'.length));
  const code = /^[<>|=]?([biufcmMOSaUV])(\d*)(?:\[.*\])?$/.exec(s);
  if (code !== null) {
    const size = Number(code[2] === '' ? 0 : code[2]);
    switch (code[1]) {
      case 'b':
        // `b1` is numpy's bool; a bare `b` is the char code of int8.
        return size === 1 ? 'boolean' : 'int';
      case 'i':
        return size === 8 ? 'long' : 'int';
      case 'u':
        // A bare `u` is the char code of uint32.
        return size === 4 || size === 8 || size === 0 ? 'long' : 'int';
      case 'f':
        return size <= 4 ? 'float' : 'double';
      case 'M':
        return 'timestamp';
      case 'O':
      case 'U':
        return 'string';
      case 'S':
      case 'a':
        return 'binary';
      default:
        return 'unknown';
    }
  }
  const lower = s.toLowerCase();
  const hit = PANDAS[lower] ?? PANDAS_INFERRED[lower];
  if (hit !== undefined) return hit;
  if (lower.startsWith('datetime64') || lower === 'datetimetz') return 'timestamp';
  if (/^str\d+$/.test(lower)) return 'string';
  if (/^bytes\d+$/.test(lower)) return 'binary';
  return 'unknown';
}

function arrowType(raw: string): FieldType {
  const s = raw.trim().toLowerCase().replace(NOT_NULL, '');
  const hit = ARROW[s];
  if (hit !== undefined) return hit;
  const integer = /^int(?:eger)?\s*\(\s*(?:bitwidth\s*=\s*)?(\d+)\s*,\s*(?:issigned\s*=\s*)?(true|false)\s*\)$/.exec(s);
  if (integer !== null) return integerBits(Number(integer[1]), integer[2] === 'true');
  if (/^(large_)?list(_view)?</.test(s) || s.startsWith('fixed_size_list<')) return 'array';
  if (s.startsWith('struct<')) return 'struct';
  if (s.startsWith('map<')) return 'map';
  const dict = /^dictionary<values=(.+?), indices=/.exec(s);
  if (dict?.[1] !== undefined) return arrowType(dict[1]);
  if (s.startsWith('fixed_size_binary')) return 'binary';
  if (s.startsWith('date32') || s.startsWith('date64')) return 'date';
  if (s.startsWith('timestamp')) return 'timestamp';
  if (/^decimal(32|64|128|256)?\s*\(/.test(s)) return 'decimal';
  return 'unknown';
}

function avroType(raw: string): FieldType {
  return AVRO[raw.trim().toLowerCase()] ?? 'unknown';
}

/**
 * Maps a native type name into the portable vocabulary, by the tables in docs/contract.md ("Type
 * mappings"); the Python emitter and the OpenLineage adapter use the same tables. Case and extra
 * spaces do not matter (except numpy kind codes: `<M8[ns]` is a timestamp, `<m8[ns]` a duration),
 * parameters are ignored (`varchar(20)`, `decimal(10,2)`), a trailing `not null` is ignored (see
 * {@link parseTypeName} for nullability and nested types). Pass an Avro or Parquet column's logical
 * type when it has one, else its physical type. A name not in the tables maps to `unknown`; this
 * never throws.
 */
export function mapTypeName(name: string, dialect: TypeDialect): FieldType {
  switch (dialect) {
    case 'sql':
      return sqlType(name);
    case 'pandas':
      return pandasType(name);
    case 'arrow':
      return arrowType(name);
    case 'avro':
      return avroType(name);
  }
}

/** Splits at top-level commas, outside `<>`, `()`, `[]`, backticks and double quotes. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '`' || c === '"') {
      quote = c;
    } else if (c === '<' || c === '(' || c === '[') {
      depth++;
    } else if (c === '>' || c === ')' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last !== '' || parts.length > 0) parts.push(last);
  return parts;
}

/** The index of the bracket closing the one at `open`, or -1. */
function closing(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s.charAt(i);
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '`' || c === '"') {
      quote = c;
    } else if (c === '<' || c === '(') {
      depth++;
    } else if (c === '>' || c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** `name: type`, `name type` (Trino `row`), `` `quoted name`: type `` -> a field. */
function namedField(part: string, dialect: TypeDialect): SchemaField {
  let name: string;
  let rest: string;
  const q = part.charAt(0);
  if (q === '`' || q === '"') {
    let i = 1;
    name = '';
    while (i < part.length) {
      const c = part.charAt(i);
      if (c === q) {
        if (part.charAt(i + 1) !== q) break;
        i++;
      }
      name += c;
      i++;
    }
    rest = part
      .slice(i + 1)
      .trim()
      .replace(/^:/, '');
  } else {
    const colon = /^([^<>(),:]*?)\s*:\s*(.*)$/s.exec(part);
    if (colon !== null) {
      name = colon[1] ?? '';
      rest = colon[2] ?? '';
    } else {
      const space = part.search(/\s/);
      name = space < 0 ? part : part.slice(0, space);
      rest = space < 0 ? '' : part.slice(space + 1);
    }
  }
  return { name, ...parseTypeName(rest.trim(), dialect) };
}

/** Arrow prints list elements as `item: int64`; drop the element's name. */
function unnamed(part: string): string {
  const m = /^[^<>(),:`"]*:\s+(.*)$/s.exec(part);
  return m?.[1] ?? part;
}

/**
 * Parses a native type name into an element type, with nested types (`array<struct<a:int,b:string>>`,
 * `map<string, list<item: int64>>`, `row(a integer, b varchar)`, `integer[]`) and nullability:
 * `nullable: false` for a trailing `not null` (as Flink and pyarrow print it), for map keys, and for
 * numpy bool and integer dtypes in the `pandas` dialect; otherwise `nullable` is left out (true).
 * Nested types are parsed for the `sql` and `arrow` dialects and for pandas' `...[pyarrow]` dtypes;
 * otherwise the type is `mapTypeName(name, dialect)`. Never throws: what it cannot parse maps as
 * {@link mapTypeName} does.
 */
export function parseTypeName(name: string, dialect: TypeDialect): ElementType {
  let s = name.trim();
  if (dialect === 'pandas' && s.endsWith('[pyarrow]')) return parseTypeName(s.slice(0, -'[pyarrow]'.length), 'arrow');
  if (dialect === 'pandas') {
    // numpy bool and integer dtypes cannot hold a null (pandas' masked `boolean`, `Int64`, ... can).
    const numpyNotNull = /^[<>|=]?[biu]\d*$/.test(s) || /^(bool_?|u?int(8|16|32|64)?)$/.test(s);
    return numpyNotNull ? { type: mapTypeName(s, dialect), nullable: false } : { type: mapTypeName(s, dialect) };
  }
  if (dialect !== 'sql' && dialect !== 'arrow') return { type: mapTypeName(s, dialect) };
  let notNull = false;
  if (NOT_NULL.test(s)) {
    notNull = true;
    s = s.replace(NOT_NULL, '');
  }
  const out = nested(s, dialect) ?? { type: mapTypeName(s, dialect) };
  if (notNull) out.nullable = false;
  return out;
}

function nested(s: string, dialect: TypeDialect): ElementType | undefined {
  if (dialect === 'sql' && s.endsWith('[]')) return { type: 'array', items: parseTypeName(s.slice(0, -2), dialect) };
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*([<(])/.exec(s);
  if (m === null) return undefined;
  const head = (m[1] ?? '').toLowerCase();
  const open = m[0].length - 1;
  const close = closing(s, open);
  if (close < 0) return undefined;
  const parts = splitTopLevel(s.slice(open + 1, close));
  switch (head) {
    case 'array':
    case 'list':
    case 'large_list':
    case 'list_view':
    case 'large_list_view':
    case 'fixed_size_list':
    case 'multiset':
      return parts.length === 1 ? { type: 'array', items: parseTypeName(unnamed(parts[0] ?? ''), dialect) } : undefined;
    case 'struct':
    case 'row':
      return { type: 'struct', fields: parts.filter((p) => p !== '').map((p) => namedField(p, dialect)) };
    case 'map':
      return parts.length === 2
        ? {
            type: 'map',
            // Map keys are never null (Spark, Arrow, Avro).
            keys: { ...parseTypeName(parts[0] ?? '', dialect), nullable: false },
            values: parseTypeName(unnamed(parts[1] ?? ''), dialect),
          }
        : undefined;
    case 'dictionary': {
      const values = /^values=(.*)$/s.exec(parts[0] ?? '');
      return values?.[1] === undefined ? undefined : parseTypeName(values[1], dialect);
    }
    default:
      return undefined;
  }
}
