# pgop as a standalone binary on a distroless base, running as non-root.
#
# It cannot be built on the development machines of this project (no container
# engine, and `deno compile` downloads its runtime from a host they cannot
# reach); `deno task check` type-checks main.ts, which is what this compiles.

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
# package.json too: deno.lock records it (it pins the Deno toolchain), and
# without it `--frozen` finds the lockfile out of date and stops.
COPY deno.json deno.lock package.json ./
COPY main.ts ./
COPY lib/ lib/
COPY crds/ crds/
# Fetch the npm dependencies pinned by deno.lock, then compile with only the
# permissions pgop needs, each scoped (tests/support/pgop_runtime.ts is the
# recipe and says why each is there; its test checks this file agrees, and
# tests/sandbox_test.ts runs main.ts with these flags and shows what they deny):
#   net   the API server by its Service name (lib/kube/kubeconfig.ts uses the
#         name when the IP is not allowed), the two ports pgop listens on, and
#         PostgreSQL's port on any IPv4 address: the primaries' pod IPs, read
#         for the replication lag (narrow it to your pod CIDR, <cidr>:5432;
#         an IPv6 cluster needs --replication-lag-interval=0);
#   read  the service-account token, CA and namespace, and /etc/pgop for a
#         mounted metrics certificate;
#   env   the variables pgop reads (PGOP_* flags, the pod's, the kubeconfig's,
#         two that the PostgreSQL client package reads);
#   sys   the host name, for the leader identity.
# No run, write or FFI. The V8 flag keeps the young generation small
# (tests/support/pgop_runtime.ts says why).
RUN deno install --frozen --entrypoint main.ts
RUN deno compile --frozen --no-prompt \
      --v8-flags=--max-semi-space-size=2 \
      --allow-net=kubernetes.default.svc:443,0.0.0.0:8443,0.0.0.0:8081,0.0.0.0/0:5432 \
      --allow-read=/var/run/secrets/kubernetes.io/serviceaccount,/etc/pgop \
      "--allow-env=PGOP_*,POD_NAMESPACE,HOSTNAME,KUBECONFIG,HOME,KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT,LOG_TOKENS,LOG_STREAM,PGAPPNAME,PGTARGETSESSIONATTRS" \
      --allow-sys=hostname \
      --output /out/pgop main.ts

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/pgop /usr/local/bin/pgop
USER 65532:65532
EXPOSE 8443 8081
ENTRYPOINT ["/usr/local/bin/pgop"]
