# globusput image: a GitHub container action, a GitLab CI `image:`, a Jenkins
# `docker.image(...).inside` container. The base is named once, on a line of its own that
# Dependabot bumps; tests without a registry build a copy with this line pointing at a locally
# made base (tests/docker/conftest.py).
FROM python:3.12-slim AS base

FROM base AS build
WORKDIR /src
COPY requirements.txt pyproject.toml README.md ./
COPY globusput ./globusput
# pinned, hash-checked dependencies, then the package itself; pip and setuptools do not ship
RUN python3 -m venv /opt/globusput \
    && /opt/globusput/bin/pip install --no-cache-dir --disable-pip-version-check \
       --require-hashes -r requirements.txt \
    && /opt/globusput/bin/pip install --no-cache-dir --disable-pip-version-check \
       --no-deps --no-build-isolation . \
    && /opt/globusput/bin/pip uninstall --yes --disable-pip-version-check setuptools pip

FROM base
ARG VERSION=1.0.0
LABEL org.opencontainers.image.title="globusput" \
      org.opencontainers.image.description="Upload CI build artifacts to a Globus collection over HTTPS" \
      org.opencontainers.image.source="https://github.com/globusput/globusput" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/globusput /opt/globusput
COPY entrypoint.py /opt/globusput/entrypoint.py
# No USER (GitHub needs root for its workspace) and nothing needs a writable HOME (Jenkins runs
# as the agent's uid). A default command, not an ENTRYPOINT, so GitLab and Jenkins can run their
# own shell commands in the image.
ENV PATH="/opt/globusput/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
CMD ["/opt/globusput/bin/python", "/opt/globusput/entrypoint.py"]
