// Names the attribute behind a Cedar request-validation failure. Cedar's own message for a value of
// the wrong type quotes the whole context ("context `{...}` is not valid for ..."); a receipt
// should say which field was wrong.

type SchemaType = {
  type: string;
  name?: string;
  element?: SchemaType;
  attributes?: Record<string, SchemaType & { required?: boolean }>;
};

interface NamespaceJson {
  commonTypes?: Record<string, SchemaType>;
  actions?: Record<string, { appliesTo?: { context?: SchemaType } }>;
}

/** The schema facts needed to name a mismatch: each action's context type, with common types resolved. */
export interface ContextTypes {
  context(action: string): SchemaType | undefined;
  resolve(type: SchemaType): SchemaType | undefined;
}

/** Built once per policy set from `schemaToJson`'s output (one namespace, as the gate uses). */
export function contextTypes(schemaJson: Record<string, NamespaceJson>, namespace: string): ContextTypes {
  const ns = schemaJson[namespace] ?? {};
  const common = ns.commonTypes ?? {};
  const resolve = (type: SchemaType): SchemaType | undefined => {
    if (type.type !== 'EntityOrCommon') return type;
    const name = type.name ?? '';
    if (name === 'Long' || name === 'String' || name === 'Bool' || name === 'Boolean') return { type: name };
    const local = name.startsWith(`${namespace}::`) ? name.slice(namespace.length + 2) : name;
    return Object.hasOwn(common, local) ? resolve(common[local] as SchemaType) : undefined; // an entity reference
  };
  return {
    context: (action) => (ns.actions && Object.hasOwn(ns.actions, action) ? ns.actions[action]?.appliesTo?.context : undefined),
    resolve,
  };
}

/**
 * Paths in `value` whose JSON kind does not match the schema type (`context.currency: expected
 * String, got a list`), sorted. Missing and extra attributes are left to Cedar, which names them.
 *
 * @example contextMismatches(types, 'transfer', { amount: 1, currency: ['BTC'] }) // ['context.currency: expected String, got a list']
 */
export function contextMismatches(types: ContextTypes, action: string, context: unknown): string[] {
  const root = types.context(action);
  if (!root) return [];
  const out: string[] = [];
  walk(types, root, context, 'context', out);
  return out.sort();
}

function walk(types: ContextTypes, declared: SchemaType, value: unknown, path: string, out: string[]): void {
  const type = types.resolve(declared);
  if (!type) return;
  const got = kindOf(value);
  const expect = (wanted: string, ok: boolean) => {
    if (!ok) out.push(`${path}: expected ${wanted}, got ${got}`);
    return ok;
  };
  switch (type.type) {
    case 'Long':
      expect('Long', typeof value === 'number');
      return;
    case 'String':
      expect('String', typeof value === 'string');
      return;
    case 'Bool':
    case 'Boolean':
      expect('Bool', typeof value === 'boolean');
      return;
    case 'Set':
      if (expect('Set', Array.isArray(value)) && type.element) {
        (value as unknown[]).forEach((item, i) => walk(types, type.element as SchemaType, item, `${path}[${i}]`, out));
      }
      return;
    case 'Record':
      if (expect('Record', got === 'a record')) {
        for (const [key, attr] of Object.entries(type.attributes ?? {})) {
          const record = value as Record<string, unknown>;
          if (Object.hasOwn(record, key)) walk(types, attr, record[key], `${path}.${key}`, out);
        }
      }
      return;
    default:
      return; // entities and extension types: Cedar's message stands
  }
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a record';
  if (typeof value === 'number') return 'a number';
  return `a ${typeof value}`;
}
