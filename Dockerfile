# syntax=docker/dockerfile:1
# One image for the API, the worker and the migration job:
#   api:     node dist/apps/api/main.js        (default CMD)
#   worker:  node --max-old-space-size=1024 --max-semi-space-size=16 dist/apps/worker/main.js  (apps/worker/node-flags.ts)
#   migrate: node dist/libs/database/migrate.js
ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------- build: all deps + tsc
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# `npm ci`, or - when package-lock.json lacks other platforms' optional packages, which `npm ci`
# rejects - `npm install --no-save`, which installs the same locked versions.
RUN npm ci --no-audit --no-fund || npm install --no-save --no-audit --no-fund
COPY . .
RUN npm run build \
 && rm -rf dist/test dist/.tsbuildinfo \
 && find dist -name '*.spec.js*' -delete

# ---------------------------------------------------------------- prod-deps: runtime node_modules only
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN (npm ci --omit=dev --no-audit --no-fund || npm install --no-save --omit=dev --no-audit --no-fund) \
 && npm cache clean --force

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
# The image's built-in unprivileged user (uid 1000); it owns nothing in /app but the attachments directory.
RUN mkdir -p /app/.data/attachments && chown -R node:node /app/.data && chmod 700 /app/.data/attachments
USER node
EXPOSE 3000
CMD ["node", "dist/apps/api/main.js"]
