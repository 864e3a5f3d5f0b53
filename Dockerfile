# The safelake binary in a small runtime image that does not run as root.
#   docker build -t safelake .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin safelake

FROM debian:bookworm-slim
# curl only for the health checks of docker-compose.yml; chromium (and a font) prints the
# meeting packs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/safelake safelake \
    && mkdir -p /var/lib/safelake/lake /etc/nats /etc/ingest-key \
    && chown -R safelake /var/lib/safelake /etc/nats /etc/ingest-key
COPY --from=build /src/target/release/safelake /usr/local/bin/safelake
COPY safelake.example.toml /etc/safelake/safelake.example.toml
USER safelake
WORKDIR /var/lib/safelake
ENV SAFELAKE_DATA=/var/lib/safelake
EXPOSE 8080 5433 9464
ENTRYPOINT ["safelake"]
CMD ["--help"]
