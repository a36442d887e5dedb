# The documented build (docs/operations.md, "Deploying to AWS"): `sam build`, then bytecode for every
# module of the build output, compiled by the runtime's Python (Lambda's code directories are read-only and
# `sam build` ships no .pyc, so without it each cold start compiles every module again).
PYTHON_RUNTIME ?= python3.13

.PHONY: build deploy
build:
	sam build
	$(PYTHON_RUNTIME) tools/compile_build.py --build-dir .aws-sam/build --template template.yaml

deploy: build
	sam deploy
