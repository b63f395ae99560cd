import http, { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A request the double received. */
export interface RecordedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A test double standing in for Envoy: a real HTTP listener on loopback that records every request it gets and
 * answers with the handler a test sets. Unit tests use it to see exactly what the plugin forwards (and that a
 * refused request never arrives); the real Envoy is used by the real-stack test.
 */
export class RecordingEnvoyDouble {
  readonly requests: RecordedRequest[] = [];
  /** Each request's `close` (the plugin aborting or ending it), in order. */
  readonly closed: string[] = [];
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void = (
    _req,
    res,
  ) => {
    res.writeHead(200, {
      'content-type': 'application/grpc-web+proto',
      'grpc-status': '0',
    });
    res.end();
  };

  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.requests.push({ path: req.url ?? '', headers: req.headers, body });
        res.on('close', () => this.closed.push(req.url ?? ''));
        this.handler(req, res, body);
      });
    });
  }

  static async start(): Promise<RecordingEnvoyDouble> {
    const double = new RecordingEnvoyDouble();
    await new Promise<void>(resolve =>
      double.server.listen(0, '127.0.0.1', resolve),
    );
    return double;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}
