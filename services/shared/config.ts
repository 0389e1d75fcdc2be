// The only module that reads the environment. Services call loadConfig() once at start and pass
// the typed result down; tests call parseConfig() with a plain object.
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FromSchema } from 'json-schema-to-ts';
import { configSchema } from '../../schemas/config.schema.js';

export type Config = FromSchema<typeof configSchema>;
export type EnvName = keyof typeof configSchema.properties;

type PropertySchema = {
  type: string;
  description: string;
  'x-expected': string;
  'x-secret'?: boolean;
};
const properties = configSchema.properties as unknown as Record<EnvName, PropertySchema>;
const names = Object.keys(properties) as EnvName[];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({
  allErrors: true,
  coerceTypes: true,
  useDefaults: true,
  strict: true,
  keywords: ['x-expected', 'x-secret'],
});
addFormats.default(ajv, ['uri']);
const validate = ajv.compile<Config>(configSchema);

function describe(error: ErrorObject, raw: Record<string, unknown>): string {
  const [name, index] = error.instancePath.split('/').slice(1) as [EnvName, string | undefined];
  const prop = properties[name];
  const value = index === undefined ? raw[name] : (raw[name] as unknown[])[Number(index)];
  const shown = prop['x-secret'] ? '(value hidden)' : `'${String(value)}'`;
  const what = error.keyword === 'pattern' || error.keyword === 'format' ? 'is not valid' : error.message;
  return `${name}: ${shown} ${what}; expected ${prop['x-expected']}`;
}

/**
 * Validates environment-style strings and returns the typed configuration with defaults filled
 * in. Throws ConfigError listing every bad variable by name; secret values are never echoed.
 * An empty string counts as unset.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const raw: Record<string, unknown> = {};
  for (const name of names) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    raw[name] =
      properties[name].type === 'array'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value;
  }
  const candidate = structuredClone(raw);
  if (!validate(candidate)) {
    throw new ConfigError((validate.errors ?? []).map((e) => describe(e, raw)));
  }
  return candidate;
}

/** Which variables were given (not defaulted): lets the local launcher start what is missing. */
export function givenVariables(env: Record<string, string | undefined> = process.env): Set<EnvName> {
  return new Set(names.filter((name) => (env[name]?.trim() ?? '') !== ''));
}

/** Reads process.env once. Call from a service's entry point, never at import time. */
export function loadConfig(): Config {
  return parseConfig(process.env);
}

/** Each variable with its description and default, for the README and `--help`. */
export function describeVariables(): { name: EnvName; description: string; default?: unknown }[] {
  return names.map((name) => ({
    name,
    description: properties[name].description,
    default: (configSchema.properties[name] as { default?: unknown }).default,
  }));
}
