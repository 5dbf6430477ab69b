# The edgewatch image: one image for the exporter and the collector (`edgewatch exporter|collector`).
#   docker build -t edgewatch .
#   docker run --rm edgewatch --help

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Toolchain for native modules (better-sqlite3, msgpackr-extract) when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The prepare script compiles TypeScript, which is not copied yet: install first, compile below.
RUN npm ci --ignore-scripts && npm rebuild
COPY tsconfig.json ./
COPY bin ./bin
COPY protocol ./protocol
COPY common ./common
COPY exporter ./exporter
COPY collector ./collector
COPY cli ./cli
# tests and benchmarks stay out of the image (tsconfig includes them only when present).
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY examples ./examples
COPY alerts ./alerts
# the console's stylesheet, script and icon are served from these files
COPY collector/console/assets ./collector/console/assets
RUN mkdir -p /var/lib/edgewatch /keys && chown node:node /var/lib/edgewatch /keys
USER node
# 9464: exporter /metrics; 8080: collector HTTP API; 24224: collector forward input.
EXPOSE 9464 8080 24224
ENTRYPOINT ["node", "bin/edgewatch.js"]
CMD ["--help"]
