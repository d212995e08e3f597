# khcn application image: the workers (and, as it lands, the portal) for a scaled-out
# deployment beside a real Zeebe cluster (docker-compose.yml). Node.js builds the FEEL
# bundle, which the embedded engine needs; the workers themselves only need Python.
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml package.json package-lock.json Makefile ./
COPY engine engine
COPY khcn khcn
COPY models models
COPY workers workers
COPY portal portal
COPY bpmn bpmn
COPY alembic.ini ./
RUN npm ci --no-audit --no-fund --loglevel=error \
    && node engine/feel/js/build.mjs \
    && pip install --no-cache-dir .
ENV KHCN_ENV=production
CMD ["khcn", "workers"]
