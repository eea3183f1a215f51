/** The loopback HTTP server: control routes under /_sandbox/, everything else is AWS. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsFrontEnd } from './aws-request';
import { CONTROL_PREFIX, type ControlRoutes } from './control';

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export class HttpServer {
  private server?: Server;

  constructor(
    private readonly aws: AwsFrontEnd,
    private readonly control: ControlRoutes,
  ) {}

  async listen(port: number): Promise<number> {
    const server = createServer((request, response) => {
      this.serve(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(error instanceof Error ? error.message : String(error));
      });
    });
    // Clients reuse connections, as AWS's endpoints let them, rather than reconnect for most
    // requests of a busy sandbox; stop() closes every connection, idle or not, at once.
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = request.url ?? '/';
    const method = request.method ?? 'GET';
    if (url.startsWith(CONTROL_PREFIX)) {
      const path = url.split('?')[0] ?? url;
      const result = await this.control.handle(method, path, body.toString('utf8'));
      response.writeHead(result.status, { 'content-type': 'application/json' });
      response.end(result.body);
      return;
    }
    // A client bound to another loopback address (127.0.0.2) shows as that source IP.
    const sourceIp = request.socket.remoteAddress?.replace(/^::ffff:/, '');
    const result = await this.aws.handle({ method, url, headers: request.headers, body, sourceIp });
    response.writeHead(result.status, {
      ...result.headers,
      'content-length': Buffer.byteLength(result.body),
    });
    response.end(result.body);
  }
}
