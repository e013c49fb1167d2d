# One image for both roles: Krint__Role=control-plane (default) or Krint__Role=node.
# It runs the compiled package (`npm run package`), not the TypeScript sources.
#
#   DOCKER_BUILDKIT=1 docker build -t krint .
#
# Where HTTPS goes through an extra certificate authority, hand it in as a build secret (it is
# used by npm only and never stored in a layer):
#   DOCKER_BUILDKIT=1 docker build --secret id=ca,src="$NODE_EXTRA_CA_CERTS" -t krint .
# (scripts/build-image.sh does both, and builds the base image first where no registry is reachable).

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source where no prebuilt binary can be downloaded, against the
# headers the base image carries (node-gyp would otherwise download them).
ENV npm_config_nodedir=/usr/local
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
COPY signalr/package.json signalr/
COPY engines/ engines/
COPY agent/package.json agent/
COPY server/package.json server/
COPY web/package.json web/
# Building needs the tools only: no install scripts, so nothing native is compiled here.
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci --no-audit --no-fund --ignore-scripts
COPY . .
# The package folder with its run-time dependencies, installed as the shrinkwrap pins them.
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npx tsx release/build-package.ts --no-pack \
    && cd dist/package && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production Krint__Role=control-plane Krint__DataDir=/var/lib/krint
COPY --from=build /src/dist/package /opt/krint
RUN ln -s /opt/krint/dist/krint.js /usr/local/bin/krint
WORKDIR /var/lib/krint
VOLUME /var/lib/krint
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+(process.env.Krint__Role==='node'?(process.env.Node__HealthPort||5001):(process.env.Krint__Port||5000))+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["krint"]
