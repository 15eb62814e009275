/**
 * The manifest edge: YAML files -> ManifestSet | Diagnostic[].
 * load (I/O) -> parse (YAML, hostile-input limits) -> schema (schemas/*.json)
 * -> semantic checks and defaults.
 */
export { loadManifests } from './load.js';
export { manifestsFromTexts, READ_LIMITS } from './texts.js';
export type { LoadOptions, LoadResult, ManifestText } from './texts.js';
export { ParseCache, isCacheRecord, type CacheRecord } from './cache.js';
export { PARSE_LIMITS } from './parse.js';
export { defaultBridgeName } from './semantic/networks.js';
export type { KnownObjects } from './semantic/index.js';
