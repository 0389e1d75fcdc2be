# One image for every service of the pipeline; the command chooses which:
#   dist/services/ingress/main.js
#   dist/services/consumers/main.js <the consumer service of a table in tables/catalogue.ts>
#   dist/services/admin/create-topics.js      dist/services/bigquery/migrate-cli.js
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schemas ./schemas
COPY tables ./tables
COPY services ./services
COPY infra ./infra
RUN npm run build && npm prune --omit=dev

# DuckDB's httpfs extension, for `compact` reading a lake in a bucket: PyPI's signed copy for the
# DuckDB inside @duckdb/node-api, as infra/duckdb/extensions.ts installs it for local runs. Nothing
# is downloaded at run time (DuckDB's auto-install is off). The same base as the emulator's image.
FROM debian:trixie-slim AS duckdb-extensions
RUN apt-get update -q && apt-get install -y -q --no-install-recommends python3-pip > /dev/null \
 && pip install --quiet --break-system-packages --no-deps --target /ext duckdb-extension-httpfs==1.5.5

FROM node:20.20-bookworm-slim AS run
ARG TARGETARCH=amd64
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# Where services/lake/duckdb-gcs.ts looks: two folders above dist/services/lake.
COPY --from=duckdb-extensions /ext/duckdb_extension_httpfs/extensions/v1.5.5/ ./dist/.local/duckdb/extensions/v1.5.5/linux_${TARGETARCH}/
# The ingress spool's volume mounts here; a new named volume takes this folder's owner.
RUN mkdir -p /spool && chown node:node /spool
USER node
ENTRYPOINT ["node"]
CMD ["dist/services/ingress/main.js"]
