/** HTTP front of the host service: tRPC (queries, mutations, SSE subscriptions) and the display upgrade. */
import { createServer, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { Logger } from "pino";
import { bearerToken, tokenMatches } from "./auth.ts";
import { createDisplayUpgradeHandler, serviceDisplays } from "./display.ts";
import { handleMediaDelete, handleMediaUpload } from "./media-upload.ts";
import { hostRouter } from "./router.ts";
import type { HostService } from "./service.ts";

export interface HostHttpServer {
  server: Server;
  close(): Promise<void>;
}

export interface HostHttpOptions {
  service: HostService;
  token: string;
  log: Logger;
}

export function createHostHttpServer(p: HostHttpOptions): HostHttpServer {
  const upload = { dataDir: p.service.config.dataDir, maxBytes: p.service.config.mediaMaxBytes };
  const trpc = createHTTPHandler({
    router: hostRouter,
    basePath: "/trpc/",
    createContext: ({ req, info }) => {
      // SSE clients cannot always set headers, so a subscription may carry the token in connectionParams.
      const fromParams = info.connectionParams?.token;
      const presented = bearerToken(req.headers.authorization) ?? (typeof fromParams === "string" ? fromParams : undefined);
      return { service: p.service, authenticated: tokenMatches(presented, p.token) };
    },
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") p.log.error({ path, err: error.message }, "host API error");
    },
  });
  const server = createServer((req, res) => {
    const started = Date.now();
    const reqId = randomUUID();
    res.on("finish", () =>
      p.log.debug({ reqId, method: req.method, url: req.url?.split("?")[0], status: res.statusCode, ms: Date.now() - started }, "request"),
    );
    if (req.url?.startsWith("/trpc/")) return trpc(req, res);
    const url = new URL(req.url ?? "/", "http://host");
    // ISO library uploads (see media-upload.ts); the console streams them through with the host token.
    if (url.pathname === "/media/upload") {
      if (!tokenMatches(bearerToken(req.headers.authorization), p.token)) {
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "missing or wrong host token" }));
        return;
      }
      const done = (err: Error) => {
        p.log.error({ err: err.message }, "media upload failed");
        if (!res.headersSent) res.writeHead(500).end();
      };
      if (req.method === "PUT") return void handleMediaUpload(req, res, url, upload).catch(done);
      if (req.method === "DELETE") return void handleMediaDelete(res, url, upload).catch(done);
      res.writeHead(405, { allow: "PUT, DELETE" }).end();
      return;
    }
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("Not Found\n");
  });
  const display = createDisplayUpgradeHandler(serviceDisplays(p.service), p.token, p.log);
  server.on("upgrade", display.handler);
  return {
    server,
    close: () =>
      new Promise((resolve) => {
        display.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
