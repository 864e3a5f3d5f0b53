# The safelake binary in a small runtime image that does not run as root.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin safelake

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home /var/lib/safelake safelake \
    && mkdir -p /var/lib/safelake/lake && chown -R safelake /var/lib/safelake
COPY --from=build /src/target/release/safelake /usr/local/bin/safelake
USER safelake
WORKDIR /var/lib/safelake
ENTRYPOINT ["safelake"]
