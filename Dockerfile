# syntax=docker/dockerfile:1
# The readygate image: the release binary on distroless, running as non-root.
#
#   docker build -t ghcr.io/readygate/readygate:v0.1.0 .
#
# Stage 1 builds with the Rust toolchain the crate asks for (rust-version in Cargo.toml).
# Stage 2 is distroless "cc" rather than "static": the binary links glibc and libgcc dynamically.
# No shell, no package manager; user 65532 ("nonroot"), matching the Deployment's runAsUser.

ARG RUST_VERSION=1.95
FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src

# Only what the build reads: the manifest declares the bench target, so benches/ must be there.
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY src ./src
COPY benches ./benches

RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin readygate \
    && install -D -m 0755 target/release/readygate /out/readygate

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="readygate" \
      org.opencontainers.image.description="Production-readiness checklists that the cluster evaluates and enforces" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/readygate /readygate
USER 65532:65532
# 8443: admission webhook (HTTPS); 9090: /metrics, /healthz, /readyz.
EXPOSE 8443 9090
ENTRYPOINT ["/readygate"]
CMD ["run"]
