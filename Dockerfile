# One image for the three apps: pick one with APP (inbound-gateway | outbound-dispatcher | admin).
# Node 24 LTS, the same major as package.json's engines and .ci/run.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# V8 heap settings the apps run with everywhere (npm start, bench): see docs/performance.md.
ENV NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=8"
# Extra V8 flags for the gateway only (for flags NODE_OPTIONS does not accept, such as
# --single-threaded-gc); none by default, see docs/performance.md.
ENV INBOUND_NODE_FLAGS=""
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
ARG APP=inbound-gateway
ENV APP=${APP}
USER node
# GET /health of the app named by APP on its own port (the variables it reads); liveness
# only, so a Postgres outage the app is waiting out does not mark it unhealthy.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/scripts/healthcheck.js"]
# Migrating separately (MIGRATE_ON_BOOT=false): run this image once with
# `node dist/scripts/migrate.js` (or `npm run migrate:built`) as its command.
CMD ["sh", "-c", "if [ \"$APP\" = inbound-gateway ]; then exec node $INBOUND_NODE_FLAGS dist/apps/$APP/src/main.js; else exec node dist/apps/$APP/src/main.js; fi"]
