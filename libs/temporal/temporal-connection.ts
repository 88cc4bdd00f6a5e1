import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { AppConfig } from '../config/app-config.js';

/**
 * How every process here connects to Temporal — the API's client, the worker's native connection, the
 * worker's search-attribute check — built in one place from TEMPORAL_ADDRESS, TEMPORAL_TLS*, TEMPORAL_API_KEY.
 * Both `Connection.connect` and `NativeConnection.connect` take these options.
 */
export function temporalConnectionOptions(config: AppConfig): { address: string; tls?: TLSConfig | boolean; apiKey?: string } {
  const { address, tls, apiKey } = config.temporal;
  if (!tls) return { address };
  const options: TLSConfig = {
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
    ...(tls.ca ? { serverRootCACertificate: tls.ca } : {}),
    ...(tls.cert && tls.key ? { clientCertPair: { crt: tls.cert, key: tls.key } } : {}),
  };
  return { address, tls: Object.keys(options).length > 0 ? options : true, ...(apiKey ? { apiKey } : {}) };
}
