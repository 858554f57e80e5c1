// tests/oidc/server.js: a real OpenID Connect authorization server
// (oidc-provider, certified) for gettoken's end-to-end tests and benchmarks.
// Test-only: throwaway keys and secrets, loopback only.
//
//   OIDC_HOST=127.0.0.1   address to bind (loopback only)
//   OIDC_PORT=0           port (0: any free port)
//   OIDC_PORT_FILE=PATH   once listening, the port is written there (temp file + rename)
//   OIDC_KEY_DIR=PATH     where the private keys of the private_key_jwt clients
//                         are written (client-rs256.pem PKCS#8, client-es256.pem SEC1);
//                         default: the directory of OIDC_PORT_FILE
//
// The clients (secrets below are test values, not secrets):
//   cc-basic / cc-body      client_credentials, client_secret_basic / _post
//   cc-noexp                client_credentials; token replies lose `expires_in`
//                           (the JWT access token's `exp` is all there is)
//   jwt-rs256 / jwt-es256   client_credentials with private_key_jwt (RFC 7523)
//   device, device-refresh  device_code (RFC 8628) + refresh_token, public; `interval` 1
//   device-slow             the same; its first poll is answered `slow_down`
//   device-short            the same; device codes live 3 seconds
//   browser                 authorization_code + PKCE + refresh_token, native
//                           (loopback redirect on any port, RFC 8252; /callback,
//                           /oauth/cb, and [::1]/callback)
//   agent                   the same, confidential (client_secret_basic): the
//                           oidc-agent account of bench/run.sh
//   device-gate, device-flood, device-logout   like `device`, for unattended.rs
//   cc-short                client_credentials whose access tokens live 4 seconds
//   device-idtoken          like device-refresh, for id_token.rs
//   device-rotate, device-lend, device-envrt   like `device`, for rotation.rs (a refresh
//                           token in the keyring; refresh_from; one in the environment)
// Refresh tokens rotate (rotateRefreshToken): each refresh spends the one
// sent, and a spent one sent again is refused (invalid_grant) and revokes
// the whole grant, as Atlassian and other rotating servers do.
// Revocation (RFC 7009, /token/revocation) and introspection (RFC 7662,
// /token/introspection; any confidential client may introspect any token)
// are on.
// Access tokens live 30 seconds (device-refresh's 5, agent's 3600); with `resource` (or
// `audience`) they are JWTs.
//
// The user's side, for tests that play the browser:
//   GET /interaction/:uid           a page with an "approve" and a "deny" form
//   POST /interaction/:uid/approve  logs in `alice` and grants what was asked
//   POST /interaction/:uid/deny     access_denied
// Counters for tests: GET /test/stats?client_id=ID ->
//   {"grants": {"<grant_type>": n}, "errors": {"<error>": n}, "polls": n,
//    "early_polls": n, "device_authorizations": n}

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import querystring from 'node:querystring';

import Provider from 'oidc-provider';

const HOST = process.env.OIDC_HOST || '127.0.0.1';
const PORT = Number(process.env.OIDC_PORT || 0);
const PORT_FILE = process.env.OIDC_PORT_FILE || '';
const KEY_DIR = process.env.OIDC_KEY_DIR || (PORT_FILE ? path.dirname(PORT_FILE) : '');

if (!['127.0.0.1', '::1', 'localhost'].includes(HOST)) {
  console.error(`server.js: refusing to bind ${HOST}: loopback only`);
  process.exit(2);
}

const SECRETS = {
  'cc-basic': 'cc-basic-secret-7Hq2xv',
  'cc-body': 'cc-body-secret-Lp93Zs',
  'cc-noexp': 'cc-noexp-secret-Qw81Rt',
  agent: 'agent-secret-Vb62Kd',
  'cc-short': 'cc-short-secret-Zt40Pm',
};
// cc-short's access tokens live 4 seconds (exec --refresh outlives them).
const SHORT_TTL = 4;
const ACCESS_TOKEN_TTL = 30;
const POLL_INTERVAL = 1;

// --- keys ------------------------------------------------------------------------
const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rs = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
if (KEY_DIR) {
  fs.writeFileSync(path.join(KEY_DIR, 'client-rs256.pem'), rs.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.writeFileSync(path.join(KEY_DIR, 'client-es256.pem'), ec.privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
}
const publicJwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });

// --- clients ---------------------------------------------------------------------
const ccClient = (id, method) => ({
  client_id: id,
  client_secret: SECRETS[id],
  token_endpoint_auth_method: method,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  scope: 'api:read api:write',
});
const jwtClient = (id, alg, jwk) => ({
  client_id: id,
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: alg,
  jwks: { keys: [jwk] },
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  scope: 'api:read api:write',
});
const deviceClient = (id) => ({
  client_id: id,
  token_endpoint_auth_method: 'none',
  application_type: 'native',
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  response_types: [],
  redirect_uris: [],
});
const clients = [
  ccClient('cc-basic', 'client_secret_basic'),
  ccClient('cc-body', 'client_secret_post'),
  ccClient('cc-noexp', 'client_secret_basic'),
  jwtClient('jwt-rs256', 'RS256', publicJwk(rs, 'rs-test-1', 'RS256')),
  jwtClient('jwt-es256', 'ES256', publicJwk(ec, 'es-test-1', 'ES256')),
  deviceClient('device'),
  deviceClient('device-refresh'),
  deviceClient('device-slow'),
  deviceClient('device-short'),
  // tests/e2e/oidc/unattended.rs: their own, so that counts are theirs.
  deviceClient('device-gate'),
  deviceClient('device-flood'),
  deviceClient('device-logout'),
  // tests/e2e/oidc/id_token.rs: like device-refresh (5-second access tokens).
  deviceClient('device-idtoken'),
  // tests/e2e/oidc/rotation.rs.
  deviceClient('device-rotate'),
  deviceClient('device-lend'),
  deviceClient('device-envrt'),
  ccClient('cc-short', 'client_secret_basic'),
  {
    client_id: 'browser',
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // /oauth/cb and [::1]: gettoken's `redirect_uri` key.
    redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/oauth/cb', 'http://[::1]/callback'],
  },
  {
    // oidc-agent, for bench/run.sh: a confidential client whose refresh
    // token (from a browser login the script plays) `oidc-gen --rt` takes.
    client_id: 'agent',
    client_secret: SECRETS.agent,
    token_endpoint_auth_method: 'client_secret_basic',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
  },
];

// --- counters --------------------------------------------------------------------
const stats = new Map();
function statsFor(clientId) {
  if (!stats.has(clientId)) {
    stats.set(clientId, { grants: {}, errors: {}, polls: 0, early_polls: 0, device_authorizations: 0 });
  }
  return stats.get(clientId);
}
const bump = (map, key) => { map[key] = (map[key] || 0) + 1; };
// device_code -> { last: ms, interval: s, slowed: bool }
const polls = new Map();

// --- pages -----------------------------------------------------------------------
const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function configuration() {
  return {
    clients,
    jwks: { keys: [{ ...signing.privateKey.export({ format: 'jwk' }), kid: 'signing-1', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['gettoken-test-cookie-key-not-a-secret'] },
    scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
    extraParams: ['audience'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: {
      // device-refresh: 5 seconds, so a test can wait for the real expiry;
      // agent: an hour, so a benchmark of the cached path never sees it expire.
      AccessToken: (ctx, token, client) => ({ 'device-refresh': 5, 'device-idtoken': 5, agent: 3600 })[client.clientId] ?? ACCESS_TOKEN_TTL,
      ClientCredentials: (ctx, token, client) => (client.clientId === 'cc-short' ? SHORT_TTL : ACCESS_TOKEN_TTL),
      DeviceCode: (ctx, code, client) => (client.clientId === 'device-short' ? 3 : 600),
      RefreshToken: 3600,
      Grant: 3600,
      Interaction: 600,
      Session: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
    },
    findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: (ctx, form) => { ctx.body = page('Enter the code', form); },
        userCodeConfirmSource: (ctx, form, client, deviceInfo, userCode) => {
          ctx.body = page('Confirm the code', `<p>Code ${esc(userCode)} for ${esc(client.clientId)}</p>${form}`);
        },
        successSource: (ctx) => { ctx.body = page('Device approved', '<p>You may close this page.</p>'); },
      },
      resourceIndicators: {
        enabled: true,
        // `audience` (Auth0 style) counts as the resource when none is given.
        defaultResource: (ctx, client, oneOf) => ctx.oidc.params?.audience || ctx.oidc.body?.audience || oneOf,
        getResourceServerInfo: (ctx, resource, client) => ({
          scope: 'api:read api:write',
          audience: resource,
          accessTokenTTL: client?.clientId === 'cc-short' ? SHORT_TTL : ACCESS_TOKEN_TTL,
          accessTokenFormat: 'jwt',
        }),
        useGrantedResource: () => true,
      },
    },
  };
}

// --- the server --------------------------------------------------------------------
const server = http.createServer();
server.listen(PORT, HOST, () => {
  const { port } = server.address();
  const issuer = `http://${HOST.includes(':') ? `[${HOST}]` : HOST}:${port}`;
  const provider = new Provider(issuer, configuration());

  provider.on('grant.success', (ctx) => bump(statsFor(ctx.oidc.client?.clientId).grants, ctx.oidc.params.grant_type));
  provider.on('grant.error', (ctx, err) => bump(statsFor(ctx.oidc.client?.clientId ?? ctx.oidc.params?.client_id).errors, err.error || err.message));
  provider.on('server_error', (ctx, err) => console.error('server_error', err));

  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      ctx.body.interval = POLL_INTERVAL;
      bump(statsFor(ctx.oidc?.client?.clientId), 'device_authorizations');
    }
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object'
      && ctx.oidc?.client?.clientId === 'cc-noexp') {
      delete ctx.body.expires_in;
    }
  });

  const callback = provider.callback();

  async function interaction(req, res, uid, action) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    const { prompt, params } = details;
    if (action === undefined) {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page(`Sign in to ${esc(params.client_id)}`, `
        <p>Prompt: ${esc(prompt.name)}; scope: ${esc(params.scope || '')}</p>
        <form method="post" action="/interaction/${esc(uid)}/approve"><button>Approve</button></form>
        <form method="post" action="/interaction/${esc(uid)}/deny"><button>Deny</button></form>`));
      return;
    }
    if (action === 'deny') {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user denied the request' }, { mergeWithLastSubmission: false });
      return;
    }
    if (prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId: 'alice' } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  function readBody(req) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on('data', (c) => { size += c.length; if (size > 65536) { reject(new Error('too large')); req.destroy(); } else chunks.push(c); });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  // Device-code polls: counted, and answered `slow_down` when early (the
  // server's own rule, RFC 8628 3.5) or, for `device-slow`, the first time.
  function devicePoll(req, res, form) {
    const code = form.device_code;
    const s = statsFor(form.client_id);
    s.polls += 1;
    const now = Date.now();
    const seen = polls.get(code);
    let slow = false;
    if (seen) {
      if (now - seen.last < seen.interval * 1000 - 150) {
        s.early_polls += 1;
        slow = true;
      }
    } else if (form.client_id === 'device-slow') {
      slow = true;
    }
    const entry = seen || { interval: POLL_INTERVAL };
    if (slow) entry.interval += 5;
    entry.last = now;
    polls.set(code, entry);
    if (slow) {
      bump(s.errors, 'slow_down');
      res.writeHead(400, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ error: 'slow_down', error_description: 'you are polling too quickly' }));
      return true;
    }
    return false;
  }

  server.on('request', async (req, res) => {
    try {
      const url = new URL(req.url, issuer);
      if (url.pathname === '/test/stats') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(statsFor(url.searchParams.get('client_id'))));
        return;
      }
      const m = url.pathname.match(/^\/interaction\/([\w-]+)(?:\/(approve|deny))?$/);
      if (m) {
        if (m[2] && req.method !== 'POST') { res.statusCode = 405; res.end(); return; }
        await interaction(req, res, m[1], m[2]);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/token') {
        const text = await readBody(req);
        req.body = text;
        const form = querystring.parse(text);
        if (form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code' && devicePoll(req, res, form)) {
          return;
        }
      }
      callback(req, res);
    } catch (err) {
      console.error(err);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain');
      }
      res.end(`test server error: ${err.message}`);
    }
  });

  if (PORT_FILE) {
    fs.writeFileSync(`${PORT_FILE}.tmp`, `${port}\n`);
    fs.renameSync(`${PORT_FILE}.tmp`, PORT_FILE);
  }
  console.log(`oidc test server: ${issuer} (keys in ${KEY_DIR || 'nowhere'})`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { server.close(); process.exit(0); });
}
