# The two commands a newcomer needs (README.md): `make run` and `make test`.
# Only Go and Node.js/npm are assumed; everything else is installed here.
DENO := node_modules/.bin/deno

.PHONY: run test setup cluster check

## run: pgop against $$KUBECONFIG, or on a local control plane when no cluster is given
run: setup
	@if [ -n "$$KUBECONFIG" ]; then $(DENO) task pgop; else bash cluster/build.sh >/dev/null && $(DENO) task start; fi

## test: every test (unit and end-to-end on a real local control plane)
test: setup
	bash cluster/build.sh >/dev/null
	$(DENO) task test

## setup: Deno (pinned in package.json) and the control plane binaries
setup: $(DENO)

$(DENO): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(DENO)

cluster: setup
	$(DENO) task cluster up

check: setup
	$(DENO) task check
