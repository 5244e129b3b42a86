# backprop-viz in a container: the app installed into a virtual environment (as the README installs it),
# run as a non-root user, serving on 0.0.0.0:8000, sessions kept in SQLite on the /data volume.
#
#   docker build -t backprop-viz .
#   docker run --rm -p 8000:8000 -v backprop-data:/data backprop-viz
#
# Any Debian-like base with python3 >= 3.11, python3's venv module and useradd will do
# (scripts/docker-smoke builds on a debootstrap'd Debian bookworm when there is no registry):
#   docker build --build-arg BASE_IMAGE=my-python-base .
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

# Optional, for the build only (not kept in the image): a package index or mirror for pip, and a CA bundle
# (a path inside the base image) for pip to trust instead of its own. Docker's HTTP_PROXY/HTTPS_PROXY/NO_PROXY
# build args reach pip as well.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_CERT

# The whole PATH is spelled out: a base made with `docker import` may define none.
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    VIRTUAL_ENV=/opt/venv \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BACKPROP_VIZ_HOST=0.0.0.0 \
    BACKPROP_VIZ_PORT=8000 \
    BACKPROP_VIZ_DATA_DIR=/data \
    BACKPROP_VIZ_WORKERS=auto
# BACKPROP_VIZ_WORKERS=auto: one app process per CPU the container may use (its cpuset and `--cpus` quota), behind a
# router on the port; `-e BACKPROP_VIZ_WORKERS=1` serves from one process.

# The image's metadata comes early, while the image is small: with a storage driver that has no copy-on-write
# (vfs, as scripts/docker-smoke uses) every instruction after the big layer copies it once more.
EXPOSE 8000
# /api/health needs no token. The port is read from the environment, so `-e BACKPROP_VIZ_PORT=…` still works.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/opt/venv/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('BACKPROP_VIZ_PORT', '8000'), timeout=4).read()"]
CMD ["backprop-viz", "serve"]
WORKDIR /opt/backprop-viz

# The dependencies first (read from pyproject.toml), in their own layer: editing the code (or the README) does
# not reinstall them. setuptools and wheel are installed too, so the app's own install needs no index.
COPY pyproject.toml ./
RUN set -eu; \
    python3 -c 'import sys; assert sys.version_info >= (3, 11), "backprop-viz needs Python >= 3.11, the base has " + sys.version'; \
    groupadd --gid 10001 backprop; \
    useradd --uid 10001 --gid backprop --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin backprop; \
    mkdir -p /data; \
    chown backprop:backprop /data; \
    python3 -m venv /opt/venv; \
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt; \
    pip install --upgrade pip setuptools wheel; \
    pip install -r /tmp/requirements.txt; \
    rm -f /tmp/requirements.txt

# The app (.dockerignore lets in only pyproject.toml, README.md, app/, engine/, static/, templates/), installed
# editable: app/main.py and app/api/routes/page.py find static/ and templates/ beside the source tree
# (Path(__file__).parents), which a plain wheel install would leave behind.
COPY . .
RUN set -eu; \
    pip install --no-deps --no-build-isolation -e .; \
    python -m compileall -q app engine; \
    backprop-viz --version

# Sessions and uploaded data sets: SQLite in /data/backprop-viz.db.
VOLUME /data
USER backprop:backprop
