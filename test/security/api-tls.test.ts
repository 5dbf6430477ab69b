// Issue 10: TLS and basic auth from a web config file in Prometheus' format, with certificates made in the
// test: HTTPS only, client certificates verified against a CA when asked, bcrypt basic-auth users.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { requireBinary } from '../support/components.js';
import { tempDir } from '../support/paths.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl in `dir`. */
function makeCerts(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=edgewatch test CA');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...(name === 'server' ? ['-extfile', 'san.ext'] : []));
  }
}

function get(port: number, o: { ca: Buffer; cert?: Buffer; key?: Buffer; auth?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/nodes', ca: o.ca, ...(o.cert ? { cert: o.cert, key: o.key } : {}), headers: o.auth ? { authorization: o.auth } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API over TLS with a Prometheus web config', () => {
  const openssl = requireBinary('openssl', ['version']);
  const tmp = tempDir('edgewatch-tls-');
  let plain: SecureCollector | undefined;
  let mtls: SecureCollector | undefined;
  let ca: Buffer;
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  before(async () => {
    if (openssl.skip) return;
    makeCerts(tmp.dir);
    ca = readFileSync(join(tmp.dir, 'ca.crt'));
    const hash = bcrypt.hashSync('correct horse', 10);
    const web = (auth: string) => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${auth}basic_auth_users:\n  alice: ${JSON.stringify(hash)}\n  bob: ${JSON.stringify(hash)}\n`;
    writeFileSync(join(tmp.dir, 'web.yml'), web(''));
    writeFileSync(join(tmp.dir, 'web-mtls.yml'), web('  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n'));
    const http = (file: string) => `http: {listen: "127.0.0.1:0", webConfigFile: ${JSON.stringify(join(tmp.dir, file))}, basicAuthRoles: {alice: operator}}`;
    plain = await startSecureCollector([http('web.yml')], { tokens: false });
    mtls = await startSecureCollector([http('web-mtls.yml')], { tokens: false });
  });
  after(async () => {
    await plain?.stop();
    await mtls?.stop();
    tmp.cleanup();
  });

  it('serves HTTPS only: a plain HTTP request gets no API answer', openssl, async () => {
    assert.equal(await get(plain!.collector.httpPort, { ca, auth: basic('alice', 'correct horse') }), 200);
    const res = await fetch(`http://127.0.0.1:${plain!.collector.httpPort}/api/nodes`).then((r) => r.status, () => 'refused');
    assert.notEqual(res, 200);
  });

  it('basic auth checks bcrypt hashes: a wrong password or an unknown user is a 401', openssl, async () => {
    assert.equal(await get(plain!.collector.httpPort, { ca, auth: basic('alice', 'wrong') }), 401);
    assert.equal(await get(plain!.collector.httpPort, { ca, auth: basic('mallory', 'correct horse') }), 401);
    assert.equal(await get(plain!.collector.httpPort, { ca }), 401);
  });

  it('a basic-auth user has the role http.basicAuthRoles gives, and viewer otherwise', openssl, async () => {
    const send = (user: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: plain!.collector.httpPort, path: '/api/commands', method: 'POST', ca, headers: { authorization: basic(user, 'correct horse'), 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ node: 'edge-1', task: 'web', type: 'restart', wait: false }));
      });
    assert.equal(await send('alice'), 202, 'alice is an operator');
    assert.equal(await send('bob'), 403, 'bob is a viewer');
  });

  it('with RequireAndVerifyClientCert, no client certificate or one from another CA is refused in the handshake', openssl, async () => {
    const port = mtls!.collector.httpPort;
    const auth = basic('alice', 'correct horse');
    assert.equal(await get(port, { ca, cert: readFileSync(join(tmp.dir, 'client.crt')), key: readFileSync(join(tmp.dir, 'client.key')), auth }), 200);
    await assert.rejects(get(port, { ca, auth }), 'no client certificate');
    // a certificate signed by itself, not by the configured CA
    const self = tempDir('edgewatch-tls-other-');
    try {
      makeCerts(self.dir);
      await assert.rejects(get(port, { ca, cert: readFileSync(join(self.dir, 'client.crt')), key: readFileSync(join(self.dir, 'client.key')), auth }), 'a client certificate from another CA');
    } finally {
      self.cleanup();
    }
  });

  it('a web config with an unknown key or a non-bcrypt password is refused at start, naming the file and key', openssl, async () => {
    writeFileSync(join(tmp.dir, 'bad.yml'), 'basic_auth_users:\n  alice: plaintext\n');
    await assert.rejects(startSecureCollector([`http: {listen: "127.0.0.1:0", webConfigFile: ${JSON.stringify(join(tmp.dir, 'bad.yml'))}}`], { tokens: false }), /bad\.yml: invalid configuration\n {2}basic_auth_users\.alice: must be a bcrypt hash/);
  });
});
