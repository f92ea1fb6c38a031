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
# The compose file mounts a named volume here for the evidence signing key;
# a new volume takes this directory's owner, so the node user can write it.
RUN mkdir -p /var/lib/agent-audit && chown node:node /var/lib/agent-audit
USER node
ENV LISTEN_HOST=0.0.0.0
ENTRYPOINT ["node", "services/main.ts"]
