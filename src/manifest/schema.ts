import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { diagnosticAt } from '../model/diagnostic.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { ResourceKind } from '../model/manifest.js';
import type { ParsedDoc } from './parse.js';
import { fieldPath, fromPointer } from './positions.js';
import type { FieldPath } from './positions.js';

/**
 * The JSON Schemas in schemas/ are the single source of shape. The build
 * compiles them into standalone code (scripts/compile-schemas.mjs); without
 * that file they are read and compiled here, once, when this module is loaded.
 */
const SCHEMA_FILES = ['document', 'network', 'sandbox', 'attachment'] as const;
const BASE = 'https://netrecon.dev/schemas/';

/** schemas/ next to src/ (ts sources) or two levels above dist/src/ (compiled). */
function schemaDir(): string {
  const candidates = ['../../schemas/', '../../../schemas/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((dir) => existsSync(`${dir}document.schema.json`));
  if (found === undefined) throw new Error(`netrecon: schemas not found in ${candidates.join(' or ')}`);
  return found;
}

async function compileAll(): Promise<Map<string, ValidateFunction>> {
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
  ajv.addVocabulary(['x-message']);
  const dir = schemaDir();
  for (const name of SCHEMA_FILES) {
    ajv.addSchema(JSON.parse(readFileSync(`${dir}${name}.schema.json`, 'utf8')) as object);
  }
  return new Map(SCHEMA_FILES.map((name) => [name, ajv.getSchema(`${BASE}${name}.schema.json`) as ValidateFunction]));
}

type Generated = Partial<Record<(typeof SCHEMA_FILES)[number], ValidateFunction>>;

async function precompiled(): Promise<Map<string, ValidateFunction> | undefined> {
  const url = new URL('./validators.generated.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const generated = (await import(url.href)) as Generated;
  const entries = SCHEMA_FILES.map((name) => [name, generated[name]] as const);
  return entries.every(([, v]) => typeof v === 'function') ? new Map(entries as [string, ValidateFunction][]) : undefined;
}

const validators = (await precompiled()) ?? (await compileAll());

const validatorFor = (name: string): ValidateFunction => {
  const v = validators.get(name);
  if (v === undefined) throw new Error(`netrecon: no schema ${name}`);
  return v;
};

const KIND_SCHEMA: Readonly<Record<ResourceKind, string>> = { Network: 'network', Sandbox: 'sandbox', Attachment: 'attachment' };

const customMessage = (err: ErrorObject): string | undefined => {
  const parent: unknown = err.parentSchema;
  if (typeof parent !== 'object' || parent === null || !('x-message' in parent)) return undefined;
  const msg = parent['x-message'];
  return typeof msg === 'string' ? msg : undefined;
};

const describe = (err: ErrorObject): string => {
  if (err.keyword === 'enum' && Array.isArray(err.params['allowedValues'])) {
    return `must be one of ${(err.params['allowedValues'] as unknown[]).map(String).join(', ')}`;
  }
  return err.message ?? 'is invalid';
};

/** One ajv error -> diagnostic at the YAML node it is about. */
function errorToDiagnostic(doc: ParsedDoc, prefix: FieldPath, err: ErrorObject): Diagnostic {
  const path = [...prefix, ...fromPointer(err.instancePath)];
  const prop: unknown = err.params['additionalProperty'] ?? err.params['missingProperty'];
  if (err.keyword === 'additionalProperties' && typeof prop === 'string') {
    return diagnosticAt(doc.at([...path, prop], 'key'), 'schema', `${fieldPath([...path, prop])}: unknown field`);
  }
  if (err.keyword === 'required' && typeof prop === 'string') {
    return diagnosticAt(doc.at(path), 'schema', `${fieldPath([...path, prop])}: required field missing`);
  }
  const where = path.length === 0 ? 'document' : fieldPath(path);
  return diagnosticAt(doc.at(path), 'schema', `${where}: ${customMessage(err) ?? describe(err)}`);
}

function run(doc: ParsedDoc, schema: string, value: unknown, prefix: FieldPath): Diagnostic[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((err) => errorToDiagnostic(doc, prefix, err));
}

const isKind = (v: unknown): v is ResourceKind => typeof v === 'string' && Object.hasOwn(KIND_SCHEMA, v);

/** Schema errors of one document (envelope and, when the kind is known, its spec); [] when it is valid. */
export function schemaDiagnostics(doc: ParsedDoc): Diagnostic[] {
  const errors = run(doc, 'document', doc.value, []);
  const { kind, spec } = doc.value;
  if (isKind(kind) && typeof spec === 'object' && spec !== null && !Array.isArray(spec)) {
    errors.push(...run(doc, KIND_SCHEMA[kind], spec, ['spec']));
  }
  const seen = new Set<string>();
  return errors.filter((d) => {
    const key = `${d.line}:${d.col}:${d.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
