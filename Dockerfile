# syntax=docker/dockerfile:1
# SignalOps: one image for every process kind — `web` (default), `worker`, `serve`, `migrate`, `cli …`
# (deploy/docker-entrypoint.sh). PostgreSQL is external: set DATABASE_URL or DATABASE_URL_FILE (compose.yaml,
# deploy/k8s/). Build: docker build -t signalops . ; run: docker run -e DATABASE_URL=… -p 3000:3000 signalops web
#
# Not run on this project's machines (no Docker engine there): deploy/test-image-path.ts reproduces the final stage's
# files in a temp dir (standalone build, production dependencies only) and starts web, worker and serve from it.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: every dependency, for the build ------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- prod-deps: production dependencies only, for the final stage ---------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- build: the Next.js standalone output -------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
ENV NEXT_TELEMETRY_DISABLED=1 NODE_ENV=production NEXT_OUTPUT=standalone
RUN node node_modules/next/dist/bin/next build

# ---- runtime -------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ARG SIGNALOPS_COMMIT
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    HOSTNAME=0.0.0.0 \
    PORT=3000 \
    INFERENCE_PORT=8080 \
    DATA_DIR=/app/.data \
    SIGNALOPS_COMMIT=${SIGNALOPS_COMMIT}
# Code and dependencies belong to root (read-only for the app user); only .next (Next.js's cache) and DATA_DIR are
# the app user's. Production dependencies (tsx runs the worker, serve and CLI entry points from their TypeScript
# sources) ...
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY server ./server
COPY drizzle ./drizzle
COPY deploy/docker-entrypoint.sh deploy/prestart.ts ./deploy/
# ... and the web app: the standalone server (server.js + .next/server), its static assets. Its traced node_modules
# are a subset of the production dependencies above, so they are not copied twice; .next/node_modules holds
# Turbopack's symlinks to them (../../node_modules/<package>), which COPY keeps as they are.
COPY --from=build /app/.next/standalone/server.js ./server.js
COPY --from=build --chown=node:node /app/.next/standalone/.next ./.next
COPY --from=build --chown=node:node /app/.next/static ./.next/static
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000 8080
# Liveness of the web command (no database needed). The serve command answers GET /health on INFERENCE_PORT instead:
# compose.yaml and the Kubernetes manifests set their own checks per process kind.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Through sh, so the script need not carry an exec bit; it `exec`s the process (run with --init / compose `init: true`
# so that a PID-1 reaper forwards signals and collects zombies).
ENTRYPOINT ["sh", "/app/deploy/docker-entrypoint.sh"]
CMD ["web"]
