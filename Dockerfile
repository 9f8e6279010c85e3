# syntax=docker/dockerfile:1
# One image for every part of the platform (mail node / backend, login proxy, mailctl, deliver,
# loadtest); the Helm chart picks the program with `command`.
#   docker build -t ucs-mail-cluster .
#   docker run --rm -p 1143:1143 -p 1993:1993 ucs-mail-cluster            # embedded single node
#   docker run --rm -v $PWD/mailnode.yaml:/etc/mailnode/mailnode.yaml ucs-mail-cluster \
#     node /app/dist/services/mail/main.js --config /etc/mailnode/mailnode.yaml

FROM node:20-slim AS build
WORKDIR /app
# Dependencies first: this layer is reused while only sources change.
# No install scripts are needed (pure JS/wasm dependencies), so none are run.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY libs ./libs
COPY services ./services
COPY loadtest ./loadtest
# tsc fails the build on a type error; tests and their helpers stay out of the image.
RUN npx tsc -p tsconfig.json \
 && find dist -name '*.test.js' -delete -o -name '*.test.js.map' -delete -o -name '*.test.d.ts' -delete \
 && rm -f dist/.tsbuildinfo \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy ./deploy
# The commands by their names (mailnode, mailproxy, mailctl, deliver, loadtest) and the data directory,
# owned by the unprivileged user the containers run as (node, uid 1000).
RUN set -e; for b in mailnode:services/mail/main.js mailproxy:services/proxy/main.js mailctl:services/mailctl/main.js \
      deliver:services/mail/deliver.js loadtest:loadtest/cli/main.js; do \
      printf '#!/bin/sh\nexec node /app/dist/%s "$@"\n' "${b#*:}" > "/usr/local/bin/${b%%:*}"; chmod 755 "/usr/local/bin/${b%%:*}"; \
    done; \
    mkdir -p /var/lib/mailnode /etc/mailnode; chown node:node /var/lib/mailnode
USER node
# Without --config the node runs on the embedded defaults with its data in ./data: here.
WORKDIR /var/lib/mailnode
VOLUME /var/lib/mailnode
# Unprivileged ports (non-root): IMAP 1143/1993, POP3 1110/1995, ManageSieve 14190, LMTP 2424,
# quota-status 12340, metrics and health 9090 (set http.host 0.0.0.0 to reach it from outside).
EXPOSE 1143 1993 1110 1995 14190 2424 12340 9090
CMD ["node", "/app/dist/services/mail/main.js"]
