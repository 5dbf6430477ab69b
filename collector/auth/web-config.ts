import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseYamlConfig, readConfigFile } from '../../common/config.js';
import { ConfigError, errorMessage } from '../../common/errors.js';

const BCRYPT = /^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

/**
 * The web configuration file in Prometheus' format (`--web.config.file`, exporter-toolkit): TLS for the
 * HTTP API and basic-auth users with bcrypt hashes. Unknown keys are refused, as Prometheus does.
 */
export const webConfigSchema = z.strictObject({
  tls_server_config: z
    .strictObject({
      cert_file: z.string().min(1),
      key_file: z.string().min(1),
      client_auth_type: z.enum(['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert']).default('NoClientCert'),
      client_ca_file: z.string().min(1).optional(),
      min_version: z.enum(['TLS12', 'TLS13']).default('TLS12'),
    })
    .refine((t) => !t.client_auth_type.includes('Verify') || t.client_ca_file !== undefined, {
      message: 'client_auth_type that verifies client certificates needs client_ca_file',
      path: ['client_ca_file'],
    })
    .optional(),
  basic_auth_users: z
    .record(z.string().regex(/^[^:\s]+$/, 'user names cannot contain ":" or spaces'), z.string().regex(BCRYPT, 'must be a bcrypt hash (e.g. from `htpasswd -nbBC 10 "" PASSWORD | tr -d \':\\n\'`)'))
    .default({}),
  http_server_config: z.strictObject({ headers: z.record(z.string(), z.string()).optional() }).optional(),
});

/** TLS material read from disk, ready for `https.createServer`. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** A loaded web config: TLS (if any) and the basic-auth users' hashes. */
export interface WebConfig {
  tls?: TlsMaterial;
  basicAuthUsers: Map<string, string>;
}

function readPem(file: string, key: string, configFile: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(configFile, [`tls_server_config.${key}: cannot read ${file}: ${errorMessage(err)}`]);
  }
}

/** Reads and validates the web config file; relative certificate paths are relative to the file. */
export function loadWebConfigFile(path: string): WebConfig {
  const cfg = parseYamlConfig(webConfigSchema, readConfigFile(path), path);
  const base = dirname(resolve(path));
  const t = cfg.tls_server_config;
  const tls: TlsMaterial | undefined = t && {
    cert: readPem(resolve(base, t.cert_file), 'cert_file', path),
    key: readPem(resolve(base, t.key_file), 'key_file', path),
    ...(t.client_ca_file ? { ca: readPem(resolve(base, t.client_ca_file), 'client_ca_file', path) } : {}),
    requestCert: t.client_auth_type !== 'NoClientCert',
    rejectUnauthorized: t.client_auth_type === 'RequireAndVerifyClientCert' || t.client_auth_type === 'RequireAnyClientCert',
    minVersion: t.min_version === 'TLS13' ? 'TLSv1.3' : 'TLSv1.2',
  };
  return { ...(tls ? { tls } : {}), basicAuthUsers: new Map(Object.entries(cfg.basic_auth_users)) };
}
