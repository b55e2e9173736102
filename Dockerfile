# The Rootline image: `rootline monitor` by default; any other command with `docker run IMAGE <command>`
# (the compose file's demo service runs `rootline simulate`). docs/deploy.md describes the stack.
# Secrets (InfluxDB token, Slack token, HTTP token) are never built in: they come as ROOTLINE_*
# environment variables at run time.

# ---- build: compile the TypeScript sources to dist/ ----
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script (tsc) needs the sources, which come in a later layer, so
# that this dependency layer stays cached while only the sources change.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, the compiled code, the launcher and the shipped rules ----
FROM node:20-bookworm-slim AS runtime
# NODE_OPTIONS: V8's young generation at 4 MB per semi-space (16 by default): ~40 MiB less resident at 1,000
# nodes x 20 columns for the same throughput (bench/results/scale.md), for `docker run` as for compose (whose
# monitor service sets it from ROOTLINE_NODE_OPTIONS). Override it with -e NODE_OPTIONS=...
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=4 \
    ROOTLINE_HTTP_HOST=0.0.0.0 \
    ROOTLINE_HTTP_PORT=8080 \
    ROOTLINE_RULES=/app/rules \
    KAFKAJS_NO_PARTITIONER_WARNING=1
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run tsc, which is a dev dependency and not needed here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY rules ./rules
# The files stay root-owned and read-only to the process.
USER node
EXPOSE 8080
# Node's own fetch: the slim image has no curl. /healthz answers 200 once Kafka and InfluxDB are reachable.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ROOTLINE_HTTP_PORT||'8080')+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/rootline.js"]
CMD ["monitor"]
