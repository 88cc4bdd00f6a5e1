import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../libs/config/app-config.js';
import { temporalConnectionOptions } from '../../libs/temporal/temporal-connection.js';

describe('the Temporal connection: TLS, mTLS and API keys', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidings-temporal-tls-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const CERTIFICATE = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const ca = write('ca.pem', CERTIFICATE);
  const cert = write('client.pem', CERTIFICATE);
  const key = write('client.key', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  const optionsFor = (env: Record<string, string>) =>
    temporalConnectionOptions(loadConfig({ NODE_ENV: 'test', TEMPORAL_ADDRESS: 'temporal.example.org:7233', ...env }));

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('plain by default, as the dev server speaks it', () => {
    expect(optionsFor({})).toEqual({ address: 'temporal.example.org:7233' });
  });

  test('mTLS: the server checked against its CA and name, the worker presenting its certificate and key', () => {
    expect(optionsFor({ TEMPORAL_TLS_CA: ca, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' })).toEqual({
      address: 'temporal.example.org:7233',
      tls: {
        serverNameOverride: 'temporal.internal',
        serverRootCACertificate: fs.readFileSync(ca),
        clientCertPair: { crt: fs.readFileSync(cert), key: fs.readFileSync(key) },
      },
    });
  });

  test('Temporal Cloud with an API key: TLS against the system CAs, the key as a bearer token', () => {
    expect(optionsFor({ TEMPORAL_API_KEY: 'tcld-key' })).toEqual({ address: 'temporal.example.org:7233', tls: true, apiKey: 'tcld-key' });
    expect(optionsFor({ TEMPORAL_TLS: 'true' })).toEqual({ address: 'temporal.example.org:7233', tls: true });
  });

  test('a certificate without its key, a missing file or a file that is not PEM stops the start, naming the variable', () => {
    expect(() => optionsFor({ TEMPORAL_TLS_CERT: cert })).toThrow('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together');
    expect(() => optionsFor({ TEMPORAL_TLS_CA: path.join(dir, 'missing.pem') })).toThrow(
      /TEMPORAL_TLS_CA must name a readable file \(got ".*missing\.pem": ENOENT\)/,
    );
    expect(() => optionsFor({ TEMPORAL_TLS_KEY: ca, TEMPORAL_TLS_CERT: cert })).toThrow('TEMPORAL_TLS_KEY must name a PEM file holding a private key');
  });
});
