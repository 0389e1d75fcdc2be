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

FROM node:20.20-bookworm-slim AS run
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The ingress spool's volume mounts here; a new named volume takes this folder's owner.
RUN mkdir -p /spool && chown node:node /spool
USER node
ENTRYPOINT ["node"]
CMD ["dist/services/ingress/main.js"]
