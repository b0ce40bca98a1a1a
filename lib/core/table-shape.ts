import { Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

/** What can be known at synth time about a table (internal: not exported from the package). */
export interface TableShape {
  /** Key attributes (partition key first), with their types where known; empty when unknown (imported table). */
  readonly keySchema: ReadonlyArray<{ readonly name: string; readonly keyType: string }>;
  /** Attribute types by name, where declared. */
  readonly attributeTypes: Readonly<Record<string, string>>;
  /** The stream view type, where known. */
  readonly streamViewType?: string;
  /** Whether the shape is known at all (a table created in the app), as opposed to an imported table. */
  readonly known: boolean;
}

/** Reads a table's key schema and stream from its CloudFormation resource, when the app created it. */
export function describeTable(table: dynamodb.ITable): TableShape {
  const cfn = table.node.defaultChild;
  const resolved = <T>(value: unknown): T | undefined => (value !== undefined && !Token.isUnresolved(value) ? (value as T) : undefined);
  if (cfn instanceof dynamodb.CfnTable || cfn instanceof dynamodb.CfnGlobalTable) {
    const keySchema = resolved<Array<{ attributeName?: unknown; keyType?: unknown }>>(cfn.keySchema) ?? [];
    const definitions = resolved<Array<{ attributeName?: unknown; attributeType?: unknown }>>(cfn.attributeDefinitions) ?? [];
    const stream = resolved<{ streamViewType?: string }>(cfn.streamSpecification);
    return {
      keySchema: keySchema.flatMap((key) =>
        typeof key?.attributeName === 'string' ? [{ name: key.attributeName, keyType: String(key.keyType ?? '') }] : [],
      ),
      attributeTypes: Object.fromEntries(
        definitions.flatMap((d) => (typeof d?.attributeName === 'string' ? [[d.attributeName, String(d.attributeType ?? '')]] : [])),
      ),
      streamViewType: resolved<string>(stream?.streamViewType),
      known: true,
    };
  }
  return { keySchema: [], attributeTypes: {}, known: false };
}
