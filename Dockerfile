# ActionGate worker image. TypeScript runs through tsx (a runtime dependency): no build step.
#
#   docker build -t actiongate .
#   docker run --rm actiongate --help
#
# Installs only `dependencies`. That includes embedded-postgres (and its Postgres binaries for
# this platform): only `actiongate start` uses it, it is loaded lazily, and production points
# DATABASE_URL at a real Postgres instead. Optional dependencies must stay: esbuild (tsx) and
# @swc/core (the worker's workflow bundler) ship their native binaries that way.
# Node 22 (an LTS line in maintenance until April 2027): Node 20 reached its end of life in April
# 2026. The test suite here runs on Node 20.20 (package.json engines >=20.19); this image's Node
# has not been run here (no Docker engine).
FROM node:22-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY bin/ bin/
COPY src/ src/
COPY workflows/ workflows/
COPY activities/ activities/
COPY policies/ policies/
COPY deploy/actiongate/ deploy/actiongate/

# Files stay root-owned and read-only to the process; tsx caches in the system temp directory.
USER node

ENTRYPOINT ["node", "bin/actiongate.js"]
CMD ["worker"]
