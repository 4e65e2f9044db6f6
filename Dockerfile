# The call center in one image. It is built on Debian 12 and installs itself with the same
# script the README's run command uses (scripts/setup.sh), so the image and a bare-metal
# install cannot drift apart.
#
# Sites with Docker Hub access:   docker build -t callcenter .
# Sites without an image registry: build a Debian 12 base from the Debian mirror first,
#   scripts/docker-base.sh            (debootstrap + docker import → callcenter-base:bookworm)
#   docker build --build-arg BASE=callcenter-base:bookworm -t callcenter .
ARG BASE=debian:bookworm-slim
FROM ${BASE}

ENV DEBIAN_FRONTEND=noninteractive \
    DATA_DIR=/var/lib/callcenter \
    HOST=0.0.0.0 \
    PORT=8080

WORKDIR /opt/callcenter
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates \
 && mkdir -p node_modules && bash scripts/setup.sh run \
 && rm -rf /var/lib/apt/lists/*
COPY . .

VOLUME ["/var/lib/callcenter"]
EXPOSE 8080
CMD ["./run.sh"]
