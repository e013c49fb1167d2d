# One image for both roles: Krint__Role=control-plane (default) or Krint__Role=node.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY signalr/package.json signalr/
COPY engines/ engines/
COPY agent/package.json agent/
COPY server/package.json server/
COPY web/package.json web/
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && npm ci --no-audit --no-fund
COPY . .
RUN npm run build -w @krint/web

FROM node:20-bookworm-slim
ENV NODE_ENV=production Krint__Role=control-plane Krint__DataDir=/var/lib/krint
WORKDIR /app
COPY --from=build /app /app
VOLUME /var/lib/krint
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.Krint__Role==='node'?(process.env.Node__HealthPort||5001):(process.env.Krint__Port||5000))+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/krint.mjs"]
