# syntax=docker/dockerfile:1
# Guest owner proxy (gop) server image.
#   docker build -t gop .
#   docker run -p 50051:50051 -v /etc/gop:/config:ro -v gop-audit:/var/log/gop gop
# /config must hold keysets.json and keys.json (chmod 600, readable by UID 1654), and the trust files the
# settings name, e.g. GuestOwnerProxy__Trust__IntermediateDirectories__0=/config/intermediates.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# Native AOT links with clang and needs zlib's headers; the SDK image has neither.
RUN apt-get update \
    && apt-get install -y --no-install-recommends clang zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore first, from the project files only, so source edits do not invalidate the package layer.
COPY Directory.Build.props ./
COPY protos/ protos/
COPY src/GuestOwnerProxy.Crypto/GuestOwnerProxy.Crypto.csproj src/GuestOwnerProxy.Crypto/
COPY src/GuestOwnerProxy.Platform/GuestOwnerProxy.Platform.csproj src/GuestOwnerProxy.Platform/
COPY src/GuestOwnerProxy/GuestOwnerProxy.csproj src/GuestOwnerProxy/
RUN dotnet restore src/GuestOwnerProxy/GuestOwnerProxy.csproj -r linux-x64 -p:PublishAot=true
COPY src/ src/
# One native executable (Native AOT) plus the built-in defaults; appsettings.Development.json is not published (the
# csproj says so) and the debug symbols stay in this stage.
RUN dotnet publish src/GuestOwnerProxy/GuestOwnerProxy.csproj -c Release -r linux-x64 -p:PublishAot=true -o /publish --no-restore \
    && test ! -e /publish/appsettings.Development.json \
    && mkdir /app && cp /publish/gop /publish/appsettings.json /app/

# No .NET runtime: runtime-deps holds what the native gop loads (glibc, OpenSSL, CA certificates) and the "app" user.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# Production settings: only the built-in vendor roots are trusted (appsettings.json); everything else
# comes from /config. A container is reached through its network namespace, so listen on every interface.
ENV ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS= \
    GuestOwnerProxy__KeysetsFile=/config/keysets.json \
    GuestOwnerProxy__KeysFile=/config/keys.json \
    GuestOwnerProxy__ListenAddress=* \
    GuestOwnerProxy__Port=50051 \
    GuestOwnerProxy__AuditLog=/var/log/gop/audit.jsonl \
    GuestOwnerProxy__Metrics__ListenAddress=* \
    GuestOwnerProxy__Metrics__Port=9464
# The .NET images ship the unprivileged user "app" (UID 1654); the audit log directory is its only writable path.
RUN mkdir -p /var/log/gop /config && chown app:app /var/log/gop
USER app
VOLUME ["/config", "/var/log/gop"]
EXPOSE 50051 9464
# grpc.health.v1 over the gRPC port, with the image's own binary (no grpc_health_probe to ship): the overall status,
# SERVING while a configuration serves (a rejected edit keeps it SERVING; ask `gop.config` for that).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/app/gop", "health", "--server", "127.0.0.1:50051"]
ENTRYPOINT ["/app/gop", "serve"]
