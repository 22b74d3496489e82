# pgop as a standalone binary on a distroless base, running as non-root.
#
# It cannot be built on the development machines of this project (no container
# engine, and `deno compile` downloads its runtime from a host they cannot
# reach); `deno task check` type-checks main.ts, which is what this compiles.

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY main.ts ./
COPY lib/ lib/
COPY crds/ crds/
# Fetch the npm dependencies pinned by deno.lock, then compile with only the
# permissions pgop needs: network (API server, metrics port), reading the
# service-account credentials (and a kubeconfig mounted under /etc/pgop), the
# environment, the host name for the leader identity, and FFI to libc for
# malloc_trim (lib/malloc_trim.ts: ~11 MiB less resident at 10,000 Databases;
# drop that flag for a stricter sandbox, pgop then just keeps that memory).
# tests/main_test.ts runs main.ts with exactly these flags. The V8 flag keeps
# the young generation small (tests/support/pgop_runtime.ts says why).
RUN deno install --frozen --entrypoint main.ts
RUN deno compile --frozen --no-prompt \
      --v8-flags=--max-semi-space-size=2 \
      --allow-net \
      --allow-read=/var/run/secrets/kubernetes.io/serviceaccount,/etc/pgop \
      --allow-env \
      --allow-sys=hostname \
      --allow-ffi=/lib/x86_64-linux-gnu/libc.so.6,/lib/aarch64-linux-gnu/libc.so.6,/lib64/libc.so.6 \
      --output /out/pgop main.ts

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/pgop /usr/local/bin/pgop
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/pgop"]
