# One image for every Shiplog service; docker-compose.yml picks the service with `command`.
FROM node:20-bookworm-slim AS build
RUN npm install -g pnpm@10.34.8
WORKDIR /app
# Fetch dependencies from the lockfile alone, so this layer survives source changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && if [ -f apps/dashboard/package.json ]; then pnpm --filter @shiplog/dashboard build; fi

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
# Overridden per service in docker-compose.yml.
CMD ["node", "--import", "tsx", "services/ingest/src/main.ts"]
