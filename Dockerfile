# The call center in one image, with its own Asterisk 22.
#
# No image registry is needed. Build the base image from the Debian mirror first (as root, with
# a Docker daemon running); it is the Debian sid tree with Asterisk that pbx/provision.sh builds
# for the bare-metal install and the tests, plus Node.js, npm, ffmpeg and espeak-ng:
#
#   bash scripts/docker-base.sh                          → callcenter-base:sid
#   docker build --network host -t callcenter .          (npm ci needs the npm registry)
#   docker run -d --name callcenter --network host -v cc-data:/var/lib/callcenter callcenter
#
# The image then installs and starts itself exactly like the README's run command: setup.sh
# (npm ci; the Debian packages are already there) at build time, ./run.sh at start, where
# pbx/provision.sh finds the image's `asterisk` 22 and uses it (PBX_MODE=host, no chroot).
ARG BASE=callcenter-base:sid
FROM ${BASE}

ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive \
    DATA_DIR=/var/lib/callcenter \
    HOST=0.0.0.0 \
    PORT=8080

WORKDIR /opt/callcenter
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN mkdir -p node_modules && bash scripts/setup.sh run && rm -rf /root/.npm
COPY . .
# Fail the build unless the provisioning script picks the image's own Asterisk.
RUN PBX_ROOT=/nonexistent bash pbx/provision.sh | grep -qx 'PBX_MODE=host' \
 || { echo 'pbx/provision.sh does not find the Asterisk 22 of the base image' >&2; exit 1; }

VOLUME ["/var/lib/callcenter"]
# Web UI and SIP. RTP (10000-20000/udp) is best served with --network host.
EXPOSE 8080 5060/udp
# Healthy once ready: the database answers, Asterisk is up and the CTI connected (/readyz).
# The application runs as root in the image: it starts and supervises Asterisk, which drops to
# its own `asterisk` user, and sets the owner of Asterisk's folders.
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["./run.sh"]
