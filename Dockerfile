# brickci's images, assembled from a static binary built beforehand (scripts/build-static) and
# staged by scripts/build-images under target/image/: nothing is pulled, nothing is compiled here.
#
#   brickci (default, last stage): FROM scratch — the binary, CA certificates, /tmp. For the
#            GitHub docker action (action.yml) and `docker run ghcr.io/brickci/brickci:<version>`.
#   shell:   the same plus Debian's static busybox as /bin/sh and its applets. CodeBuild never
#            runs an image's entrypoint and provisions only images with /bin/sh; GitLab-style
#            runners want a shell too.
#
# Build: scripts/build-images (buildah bud --target brickci / --target shell).

ARG VERSION=0.0.0

# Everything both targets share. The smoke test runs here, in the stage both targets build
# from: a separate test stage would be skipped, since nothing depends on it.
FROM scratch AS base
ARG VERSION
# rootfs/: /brickci, /brickci-post -> brickci (GitHub's post step calls it by that name),
# /etc/ssl/certs/ca-certificates.crt, /tmp (1777).
COPY target/image/rootfs/ /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# Not root, by number (there is no /etc/passwd). 1001 is the uid of the `runner` user on
# GitHub-hosted runners, which own the workspace and the file-command files ($GITHUB_OUTPUT,
# $GITHUB_STATE) a docker action must write; GitHub's own advice is root for that reason.
USER 1001:1001
RUN ["/brickci", "--version"]
LABEL org.opencontainers.image.title="brickci" \
      org.opencontainers.image.description="The Databricks part of a CI/CD pipeline in one static binary" \
      org.opencontainers.image.source="https://github.com/brickci/brickci" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENTRYPOINT ["/brickci"]

FROM base AS shell
USER 0:0
COPY target/image/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/busybox", "ln", "-s", "/brickci", "/bin/brickci"]
ENV PATH=/bin
USER 1001:1001
RUN ["/bin/sh", "-c", "brickci --version && test -x /bin/sha256sum"]
# CodeBuild and shell runners start their own command; `docker run IMAGE` gives a shell.
ENTRYPOINT []
CMD ["/bin/sh"]

FROM base AS brickci
