import {
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import express, { Request, Response } from 'express';
import Router from 'express-promise-router';
import http, { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { SpireMgmtConfig } from './config';
import { IdentityBridge } from './IdentityBridge';
import { KeyStore } from './KeyStore';

/** The JWKS path under the plugin's base URL (`/api/spire-mgmt/.well-known/jwks.json`). */
export const JWKS_PATH = '/.well-known/jwks.json';

/** Only the spire-mgmt API is forwarded: `/grpc/spire.mgmt.v1.<Service>/<Method>`. */
const SERVICE = /^spire\.mgmt\.v1\.[A-Za-z][A-Za-z0-9_]*$/;
const METHOD = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Request headers never forwarded: the browser's own credentials, hop-by-hop and proxy headers. */
const DROPPED_REQUEST_HEADERS = new Set([
  'authorization',
  'x-api-key',
  'cookie',
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'origin',
  'referer',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
]);

/** Response headers not passed back: hop-by-hop, and CORS (the browser talks to Backstage, same origin). */
function passResponseHeader(name: string): boolean {
  return (
    !['connection', 'keep-alive', 'transfer-encoding', 'trailer'].includes(
      name,
    ) && !name.startsWith('access-control-')
  );
}

/** A gRPC-Web response without a body: the status in the headers (a "trailers-only" response). */
function grpcError(
  res: Response,
  httpStatus: number,
  grpcStatus: number,
  message: string,
) {
  res
    .status(httpStatus)
    .set({
      'content-type': 'application/grpc-web+proto',
      'grpc-status': String(grpcStatus),
      'grpc-message': encodeURIComponent(message),
      'cache-control': 'no-store',
    })
    .end();
}

/** gRPC status codes used here. */
const UNAUTHENTICATED = 16;
const UNAVAILABLE = 14;
const UNIMPLEMENTED = 12;

export interface RouterOptions {
  config: SpireMgmtConfig;
  keys: KeyStore;
  bridge: IdentityBridge;
  httpAuth: HttpAuthService;
  logger: LoggerService;
}

/** A short cache of minted tokens, per user: a token is reused for the first half of its life. */
class TokenCache {
  private readonly tokens = new Map<string, { token: string; until: number }>();

  constructor(private readonly reuseMs: number) {}

  async get(user: string, mint: () => Promise<string>): Promise<string> {
    const now = Date.now();
    const cached = this.tokens.get(user);
    if (cached && cached.until > now) {
      return cached.token;
    }
    const token = await mint();
    if (this.tokens.size > 10_000) {
      this.tokens.clear();
    }
    this.tokens.set(user, { token, until: now + this.reuseMs });
    return token;
  }
}

/**
 * The plugin's routes: the JWKS (unauthenticated) and the gRPC-Web route that forwards a signed-in user's calls
 * to Envoy with a minted token.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { config, keys, bridge, httpAuth, logger } = options;
  const router = Router();
  const tokens = new TokenCache(config.tokenLifetimeMs / 2);
  const envoy = new URL(config.envoyUrl);
  const client = envoy.protocol === 'https:' ? https : http;

  router.get(JWKS_PATH, async (_req, res) => {
    res.set('cache-control', 'public, max-age=60').json(await keys.jwks());
  });

  router.post('/grpc/:service/:method', async (req: Request, res: Response) => {
    let credentials: BackstageCredentials<BackstageUserPrincipal>;
    try {
      credentials = await httpAuth.credentials(req, { allow: ['user'] });
    } catch {
      grpcError(
        res,
        401,
        UNAUTHENTICATED,
        'sign in to Backstage: the spire-mgmt API is for signed-in users only',
      );
      return;
    }
    const { service, method } = req.params;
    if (!SERVICE.test(service) || !METHOD.test(method)) {
      grpcError(
        res,
        404,
        UNIMPLEMENTED,
        `${service}/${method} is not a spire-mgmt API method (spire.mgmt.v1.*)`,
      );
      return;
    }
    const user = credentials.principal.userEntityRef;
    const token = await tokens.get(user, () => bridge.mint(user));

    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!DROPPED_REQUEST_HEADERS.has(name) && value !== undefined) {
        headers[name] = value;
      }
    }
    headers.authorization = `Bearer ${token}`;
    const basePath = envoy.pathname.replace(/\/+$/, '');
    const upstream = client.request({
      protocol: envoy.protocol,
      hostname: envoy.hostname,
      port: envoy.port,
      method: 'POST',
      path: `${basePath}/${service}/${method}`,
      headers,
    });

    // The browser went away: stop the upstream call too (a server stream would otherwise stay open).
    res.on('close', () => {
      if (!res.writableFinished) {
        upstream.destroy();
      }
    });
    upstream.on('error', error => {
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      logger.warn(`spire-mgmt: Envoy at ${config.envoyUrl} failed: ${error}`);
      grpcError(res, 503, UNAVAILABLE, 'the spire-mgmt API is unreachable');
    });
    upstream.on('response', upstreamRes => {
      res.status(upstreamRes.statusCode ?? 502);
      for (const [name, value] of Object.entries(upstreamRes.headers)) {
        if (passResponseHeader(name) && value !== undefined) {
          res.setHeader(name, value);
        }
      }
      // No compression or buffering on the way back: each gRPC-Web frame goes out as it arrives.
      res.setHeader('cache-control', 'no-cache, no-transform');
      res.setHeader('x-accel-buffering', 'no');
      res.flushHeaders();
      upstreamRes.on('data', (chunk: Buffer) => {
        const more = res.write(chunk);
        // A compression middleware, if one runs before the plugin, holds data until flushed.
        (res as unknown as { flush?: () => void }).flush?.();
        if (!more) {
          upstreamRes.pause();
          res.once('drain', () => upstreamRes.resume());
        }
      });
      upstreamRes.on('end', () => res.end());
      upstreamRes.on('error', error => res.destroy(error));
    });
    req.pipe(upstream);
  });

  return router;
}
