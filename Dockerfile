# syntax=docker/dockerfile:1
# Build: docker build -t examhall .
# Run:   docker run -p 8000:8000 -e EXAMHALL_ENV=production -e EXAMHALL_SECRET_KEY=... \
#          -e EXAMHALL_DATABASE_URL=postgresql+psycopg://user:pass@db/examhall examhall

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install -c constraints.txt .

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EXAMHALL_ENV=production \
    EXAMHALL_HOME=/srv \
    EXAMHALL_DATABASE_URL=sqlite:////data/examhall.db \
    PORT=8000
RUN groupadd --system examhall && useradd --system --gid examhall --home-dir /srv examhall \
    && mkdir -p /data && chown examhall:examhall /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY --chown=examhall:examhall migrations ./migrations
COPY --chown=examhall:examhall templates ./templates
COPY --chown=examhall:examhall static ./static
COPY --chown=examhall:examhall question_banks ./question_banks
COPY --chown=examhall:examhall alembic.ini ./
COPY --chown=examhall:examhall docker/entrypoint.sh /usr/local/bin/examhall-entrypoint
USER examhall
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"8000\")}/healthz', timeout=4)"
ENTRYPOINT ["/usr/local/bin/examhall-entrypoint"]
