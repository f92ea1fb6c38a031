# One image for the gateway, the writer and the API; SERVICES picks which run.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Dev tools are not needed to run, and the optional embedded ClickHouse engine
# (about 550 MB) is not either when CLICKHOUSE_URL names a server.
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force
COPY schemas ./schemas
COPY services ./services
USER node
ENV LISTEN_HOST=0.0.0.0
ENTRYPOINT ["node", "services/main.ts"]
