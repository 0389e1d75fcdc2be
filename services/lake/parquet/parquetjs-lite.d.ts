// The parts of parquetjs-lite 0.8.7 that services/lake/parquet uses; the package ships no
// types. Shapes follow lib/schema.js and lib/writer.js of that version. Only the default import
// works at run time (Node finds just one named export of this CommonJS module), so the classes
// are reachable through it alone and everything else here is a type.
declare module 'parquetjs-lite' {
  export type ParquetLeafType = 'BOOLEAN' | 'INT64' | 'UTF8' | 'TIMESTAMP_MICROS';
  export type ParquetCompression = 'UNCOMPRESSED' | 'GZIP' | 'SNAPPY';

  export interface ParquetLeafDefinition {
    type: ParquetLeafType;
    optional?: boolean;
    repeated?: boolean;
    /** false: no min/max/null-count statistics for this column, in pages or in the footer. */
    statistics?: boolean;
    compression?: ParquetCompression;
  }

  export interface ParquetGroupDefinition {
    /** Written as the group's converted type. */
    type?: 'LIST';
    optional?: boolean;
    repeated?: boolean;
    fields: ParquetSchemaDefinition;
  }

  export type ParquetFieldDefinition = ParquetLeafDefinition | ParquetGroupDefinition;
  export type ParquetSchemaDefinition = Record<string, ParquetFieldDefinition>;

  export interface ParquetField {
    name: string;
    path: string[];
    repetitionType: 'REQUIRED' | 'OPTIONAL' | 'REPEATED';
    primitiveType?: string;
    originalType?: string;
    statistics?: boolean;
    compression?: ParquetCompression;
    isNested?: boolean;
    rLevelMax: number;
    dLevelMax: number;
  }

  export interface ParquetSchema {
    readonly fields: Record<string, ParquetField>;
    /** Every field, groups included, depth first: the order of the footer's schema elements. */
    readonly fieldList: ParquetField[];
  }

  export interface EnvelopeWriterOptions {
    /** Rows per data page. */
    pageSize?: number;
    useDataPageV2?: boolean;
    /** false: no ColumnIndex/OffsetIndex after the row groups. */
    pageIndex?: boolean;
  }

  export interface ParquetEnvelopeWriter {
    schema: ParquetSchema;
    writeFooter(userMetadata?: Record<string, string>): Promise<void>;
  }

  export interface ParquetWriter {
    /** Resolves once the row is buffered (and its row group written, when it completed one). */
    appendRow(record: Record<string, unknown>): Promise<void>;
    /** Writes the last row group and the footer, then calls the envelope's close function. */
    close(): Promise<void>;
  }

  const parquet: {
    ParquetSchema: new (definition: ParquetSchemaDefinition) => ParquetSchema;
    ParquetEnvelopeWriter: new (
      schema: ParquetSchema,
      write: (chunk: Buffer) => Promise<void>,
      close: () => Promise<void>,
      fileOffset: number,
      opts: EnvelopeWriterOptions,
    ) => ParquetEnvelopeWriter;
    ParquetWriter: new (
      schema: ParquetSchema,
      envelope: ParquetEnvelopeWriter,
      opts: { rowGroupSize?: number },
    ) => ParquetWriter;
  };
  export default parquet;
}
