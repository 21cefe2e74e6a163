# Multi-stage build: the SPA (trunk) and the API (static musl binary) in a small final image.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends musl-tools nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN rustup target add wasm32-unknown-unknown x86_64-unknown-linux-musl \
    && make tools-web \
    && make web \
    && cargo build --release -p api --bin registry-gui --target x86_64-unknown-linux-musl \
    && strip target/x86_64-unknown-linux-musl/release/registry-gui

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/x86_64-unknown-linux-musl/release/registry-gui /usr/local/bin/registry-gui
COPY --from=build /src/crates/web/dist /app/dist
ENV HOST=0.0.0.0 PORT=12000 STATIC_DIR=/app/dist DATABASE_URL=sqlite:///data/registry-gui.db
VOLUME /data
EXPOSE 12000
USER nonroot
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/registry-gui", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/registry-gui"]
CMD ["serve"]
