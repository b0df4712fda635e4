/**
 * Types for the parts of the `tablestore` SDK (5.6.x, plain CommonJS, ships no typings) that the
 * state store and its tooling use. Shapes follow the SDK's encoder/decoder (lib/protocol).
 */
declare module 'tablestore' {
  namespace TableStore {
    /** int64-buffer's Int64LE: what `Long.fromNumber` returns and what INTEGER cells decode to. */
    interface Int64LE {
      toNumber(): number;
      toString(radix?: number): string;
      toBuffer(): Buffer;
    }
    /** INF_MIN / INF_MAX / PK_AUTO_INCR are identity-compared marker objects. */
    interface Marker {
      readonly __tablestoreMarker?: never;
    }
    type ColumnValue = string | number | boolean | Buffer | Int64LE;
    type PrimaryKeyValue = string | Buffer | Int64LE | Marker;
    type PrimaryKeyInput = Array<Record<string, PrimaryKeyValue>>;
    type AttributeColumnsInput = Array<Record<string, ColumnValue>>;
    interface UpdateColumnsEntry {
      PUT?: Array<Record<string, ColumnValue>>;
      DELETE?: Array<Record<string, number>>;
      DELETE_ALL?: string[];
      INCREMENT?: Array<Record<string, Int64LE>>;
    }

    interface PrimaryKeyColumn {
      name: string;
      value: string | Buffer | Int64LE;
    }
    interface AttributeColumn {
      columnName: string;
      columnValue: string | number | boolean | Buffer | Int64LE;
      timestamp: Int64LE | null;
    }
    /** `{}` when the row does not exist. */
    interface Row {
      primaryKey?: PrimaryKeyColumn[];
      attributes?: AttributeColumn[];
    }

    class ColumnCondition {}
    class SingleColumnCondition extends ColumnCondition {
      constructor(columnName: string, columnValue: ColumnValue, comparator: number, passIfMissing?: boolean, latestVersionOnly?: boolean);
    }
    class CompositeCondition extends ColumnCondition {
      constructor(combinator: number);
      addSubCondition(condition: ColumnCondition): void;
    }
    class Condition {
      constructor(rowExistenceExpectation: number, columnCondition: ColumnCondition | null);
    }

    interface ClientOptions {
      accessKeyId: string;
      secretAccessKey: string;
      stsToken?: string;
      endpoint: string;
      instancename: string;
      maxRetries?: number;
      httpOptions?: { timeout?: number; maxSockets?: number };
    }

    interface RowRequest {
      tableName: string;
      primaryKey: PrimaryKeyInput;
      condition?: Condition;
      returnContent?: { returnType: number };
    }
    interface BatchWriteRowItem {
      type: 'PUT' | 'UPDATE' | 'DELETE';
      primaryKey: PrimaryKeyInput;
      attributeColumns?: AttributeColumnsInput | UpdateColumnsEntry[];
      condition: Condition;
      returnContent?: { returnType: number };
    }
    interface BatchWriteRowResult {
      isOk: boolean;
      errorCode: string | null;
      errorMessage: string | null;
      tableName: string;
      primaryKey: PrimaryKeyColumn[] | null;
      attributes: AttributeColumn[] | null;
    }
    interface PrimaryKeySchema {
      name: string;
      type: 'INTEGER' | 'STRING' | 'BINARY' | number;
      option?: 'AUTO_INCREMENT' | number;
    }
    interface DescribeTableResult {
      tableMeta: { tableName: string; primaryKey: Array<{ name: string; type: number }> };
      tableOptions: { timeToLive: number; maxVersions: number };
      tableStatus: number;
    }

    class Client {
      constructor(options: ClientOptions);
      getRow(params: {
        tableName: string;
        primaryKey: PrimaryKeyInput;
        columnsToGet?: string[];
        maxVersions?: number;
      }): Promise<{ row: Row }>;
      putRow(params: RowRequest & { attributeColumns: AttributeColumnsInput }): Promise<{ row: Row }>;
      updateRow(params: RowRequest & { updateOfAttributeColumns: UpdateColumnsEntry[] }): Promise<{ row: Row }>;
      deleteRow(params: RowRequest): Promise<{ row: Row }>;
      getRange(params: {
        tableName: string;
        direction: 'FORWARD' | 'BACKWARD';
        inclusiveStartPrimaryKey: PrimaryKeyInput;
        exclusiveEndPrimaryKey: PrimaryKeyInput;
        limit?: number;
        maxVersions?: number;
        columnsToGet?: string[];
        columnFilter?: ColumnCondition;
      }): Promise<{ rows: Row[]; nextStartPrimaryKey: PrimaryKeyColumn[] | null }>;
      batchWriteRow(params: {
        tables: Array<{ tableName: string; rows: BatchWriteRowItem[] }>;
      }): Promise<{ tables: BatchWriteRowResult[] }>;
      createTable(params: {
        tableMeta: { tableName: string; primaryKey: PrimaryKeySchema[] };
        reservedThroughput: { capacityUnit: { read: number; write: number } };
        tableOptions: { timeToLive: number; maxVersions: number };
      }): Promise<object>;
      listTable(params: object): Promise<{ tableNames: string[] }>;
      describeTable(params: { tableName: string }): Promise<DescribeTableResult>;
      deleteTable(params: { tableName: string }): Promise<object>;
    }

    const Long: { fromNumber(n: number): Int64LE; fromString(s: string): Int64LE };
    const INF_MIN: Marker;
    const INF_MAX: Marker;
    const PK_AUTO_INCR: Marker;
    const RowExistenceExpectation: { IGNORE: 0; EXPECT_EXIST: 1; EXPECT_NOT_EXIST: 2 };
    const ComparatorType: { EQUAL: 1; NOT_EQUAL: 2; GREATER_THAN: 3; GREATER_EQUAL: 4; LESS_THAN: 5; LESS_EQUAL: 6 };
    const LogicalOperator: { NOT: 1; AND: 2; OR: 3 };
    const ReturnType: { NONE: 0; Primarykey: 1; AfterModify: 2 };
  }
  export = TableStore;
}
