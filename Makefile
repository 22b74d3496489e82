# The two commands a newcomer needs (README.md): `make run` and `make test`.
# Only Go and Node.js/npm are assumed; everything else is installed here.
DENO := node_modules/.bin/deno

.PHONY: run test setup host-packages cluster check

## run: pgop against $$KUBECONFIG, or on a local control plane when no cluster is given
run: setup
	@if [ -n "$$KUBECONFIG" ]; then $(DENO) task pgop; else bash cluster/build.sh >/dev/null && $(DENO) task start; fi

## test: every test (unit and end-to-end on a real local control plane)
test: setup
	bash cluster/build.sh >/dev/null
	$(DENO) task test

## setup: Deno (pinned in package.json); as root on Debian, the packages real nodes need
setup: $(DENO) host-packages

## host-packages: containerd, runc, CNI plugins, … (skipped with one line where impossible)
host-packages:
	@bash cluster/setup_host.sh

$(DENO): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(DENO)

cluster: setup
	$(DENO) task cluster up

check: setup
	$(DENO) task check
