/**
 * The report contract `rootline.report/v1` (docs/contract.md): types, JSON Schema and validation,
 * the schema fingerprint (docs/fingerprint.md), schema diffs, the Avro form, native type mappings.
 */
export * from './types.js';
export { REPORT_LIMITS } from './checks.js';
export {
  REPORT_JSON_SCHEMA,
  assertReport,
  formatIssues,
  parseReport,
  validateReport,
  type ReportIssue,
  type ValidationResult,
  type ValidateOptions,
} from './validate.js';
export {
  FINGERPRINT_PATTERN,
  MAX_SCHEMA_DEPTH,
  SCHEMA_FIELD_KEYS,
  canonicalSchema,
  compareCodePoints,
  fingerprintOfCanonical,
  inspectSchema,
  schemaFingerprint,
  type InspectOptions,
  type SchemaInspection,
  type SchemaProblem,
} from './fingerprint.js';
export {
  TYPE_WIDENINGS,
  classifyTypeChange,
  diffSchemas,
  summarizeSchemaChanges,
  type SchemaChange,
  type SchemaChangeKind,
  type SchemaDiffSummary,
} from './diff.js';
export {
  REPORT_AVRO_SCHEMA,
  avroToReport,
  decodeReportAvro,
  encodeReportAvro,
  reportAvroType,
  reportToAvro,
  type AvroColumnProfile,
  type AvroElementType,
  type AvroField,
  type AvroProfile,
  type AvroReport,
} from './avro.js';
export { mapTypeName, parseTypeName, type TypeDialect } from './type-names.js';
export {
  fieldPathResolver,
  formatFieldPath,
  parseFieldPath,
  quoteFieldName,
  resolveFieldPath,
  type FieldPathStep,
} from './field-path.js';
export { checkRfc3339, parseRfc3339, type Rfc3339Result } from './rfc3339.js';
